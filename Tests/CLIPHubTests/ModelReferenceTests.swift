@testable import CLIPHub
import CLIPTestSupport
import Foundation
import Testing

@Suite("Model references and Hub settings")
struct ModelReferenceTests {
    @Test("references: paths, Hub ids with revisions, open_clip tags")
    func parsing() throws {
        let exists: (String) -> Bool = { $0 == "models/local" || $0 == "ViT-B-32:openai-on-disk" }
        #expect(try ModelReference.parse("models/local", fileExists: exists) == .local(path: "models/local"))
        #expect(try ModelReference.parse("openai/clip-vit-base-patch32", fileExists: exists)
            == .hub(repository: "openai/clip-vit-base-patch32", revision: nil))
        #expect(try ModelReference.parse("laion/CLIP-ViT-B-32-laion2B-s34B-b79K@refs/pr/3", fileExists: exists)
            == .hub(repository: "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", revision: "refs/pr/3"))
        #expect(try ModelReference.parse("hf-hub:timm/vit_base_patch32_clip_224.openai", fileExists: exists)
            == .hub(repository: "timm/vit_base_patch32_clip_224.openai", revision: nil))
        guard case let .pretrained(entry) = try ModelReference.parse("ViT-B-32:openai", fileExists: exists) else {
            Issue.record("not a pretrained tag"); return
        }
        #expect(entry == PretrainedTag(architecture: "ViT-B-32", tag: "openai", repository: "timm/vit_base_patch32_clip_224.openai", quickGELU: true))
        guard case let .pretrained(laion) = try ModelReference.parse("ViT-B-32:LAION2B-S34B-B79K", fileExists: exists) else {
            Issue.record("tags compare without case"); return
        }
        #expect(laion.repository == "laion/CLIP-ViT-B-32-laion2B-s34B-b79K" && !laion.quickGELU)
        guard case let .pretrained(resnet) = try ModelReference.parse("RN50:openai", fileExists: exists) else {
            Issue.record("RN50"); return
        }
        #expect(resnet.repository == "timm/resnet50_clip.openai" && resnet.quickGELU)
        #expect(try ModelReference.parse("ViT-B-32:openai-on-disk", fileExists: exists) == .local(path: "ViT-B-32:openai-on-disk"))
        #expect(try ModelReference.parse("./weights.safetensors", fileExists: exists) == .local(path: "./weights.safetensors"))
        #expect(try ModelReference.parse("/abs/path/model", fileExists: exists) == .local(path: "/abs/path/model"))
    }

    @Test("bad references are refused with what is known")
    func badReferences() throws {
        #expect {
            _ = try ModelReference.parse("ViT-B-32:nonsense", fileExists: { _ in false })
        } throws: { error in
            guard case let HubError.unknownPretrainedTag(tag, known) = error else { return false }
            return tag == "ViT-B-32:nonsense" && known.contains("ViT-B-32:openai") && known.contains("ViT-B-32:laion2b_s34b_b79k")
        }
        #expect {
            _ = try ModelReference.parse("NoSuchArch:openai", fileExists: { _ in false })
        } throws: { error in
            guard case let HubError.unknownPretrainedTag(_, known) = error else { return false }
            return known.contains("ViT-L-14:…")
        }
        for text in ["", "hf-hub:not a repo", "owner/name@", "a--b/c@main"] {
            #expect(throws: HubError.self, "\(text)") {
                let reference = try ModelReference.parse(text, fileExists: { _ in false })
                if case .local = reference { throw HubError.invalidReference(text, reason: "local") }
            }
        }
    }

    @Test("the table covers open_clip's tags for every architecture swift-clip runs")
    func table() {
        #expect(PretrainedTag.all.count >= 80)
        let architectures = Set(PretrainedTag.all.map(\.architecture))
        for name in ["RN50", "RN101", "RN50x4", "RN50x16", "RN50x64", "ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336",
                     "ViT-H-14", "ViT-g-14", "ViT-bigG-14"] {
            #expect(architectures.contains(name), "\(name)")
        }
        #expect(PretrainedTag.all.filter { $0.architecture.hasSuffix("-quickgelu") }.allSatisfy { $0.quickGELU })
        #expect(PretrainedTag.all.allSatisfy { ModelReference.isRepositoryID(Substring($0.repository)) })
    }

    @Test("settings come from huggingface_hub's environment variables")
    func environment() throws {
        let home = temporaryPath("clip-hf-home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let plain = HubConfiguration(environment: ["HOME": "/home/u"])
        #expect(plain.endpoint == "https://huggingface.co")
        #expect(plain.cacheDirectory.path == "/home/u/.cache/huggingface/hub")
        #expect(plain.token == nil && !plain.offline && plain.connectTimeout == 10)
        #expect(HubConfiguration(environment: ["HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"]).cacheDirectory.path == "/xdg/huggingface/hub")
        #expect(HubConfiguration(environment: ["HOME": "/home/u", "HF_HOME": "~/hf"]).cacheDirectory.path == "/home/u/hf/hub")
        #expect(HubConfiguration(environment: ["HF_HOME": "/a", "HF_HUB_CACHE": "/b"]).cacheDirectory.path == "/b")
        let custom = HubConfiguration(environment: ["HF_ENDPOINT": "http://127.0.0.1:8080/", "HF_TOKEN": "hf_x",
                                                    "HF_HUB_OFFLINE": "1", "HF_HUB_ETAG_TIMEOUT": "3"])
        #expect(custom.endpoint == "http://127.0.0.1:8080" && custom.token == "hf_x" && custom.offline && custom.connectTimeout == 3)
        for value in ["true", "YES", "on"] { #expect(HubConfiguration(environment: ["HF_HUB_OFFLINE": value]).offline) }
        for value in ["0", "false", ""] { #expect(!HubConfiguration(environment: ["HF_HUB_OFFLINE": value]).offline) }
        try Data("hf_from_file\n".utf8).write(to: home.appendingPathComponent("token"))
        #expect(HubConfiguration(environment: ["HF_HOME": home.path]).token == "hf_from_file")
        #expect(HubConfiguration(environment: ["HF_HOME": home.path, "HF_TOKEN": "hf_env"]).token == "hf_env")
    }

    @Test("resolve URLs escape the revision whole and the file per segment")
    func urls() {
        let client = HubClient(configuration: HubConfiguration(endpoint: "https://hub.example", cacheDirectory: URL(fileURLWithPath: "/tmp")))
        defer { client.shutdown() }
        #expect(client.resolveURL(repository: "a/b", revision: "refs/pr/1", file: "sub dir/model.safetensors")
            == "https://hub.example/a/b/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors")
        #expect(HubFileMetadata.normalizedETag("W/\"abc\"") == "abc")
        #expect(HubClient.sameOrigin("/x/y/resolve/main/f", of: "http://h:1/a/b/resolve/main/f") == "http://h:1/x/y/resolve/main/f")
        #expect(HubClient.sameOrigin("https://cdn/x", of: "http://h:1/a") == nil)
    }
}
