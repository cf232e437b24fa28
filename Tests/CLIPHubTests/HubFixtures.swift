@testable import CLIPHub
import CLIPModel
import CLIPTestSupport
import Foundation

/// Model files for the fake Hub: the tiny `vit_gelu` model of CLIPModelTests in both layouts.
enum HubFixtures {
    static let modelFixtures = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CLIPModelTests/Fixtures/vit_gelu")

    static func files(_ layout: String) -> [String: Data] {
        let folder = modelFixtures.appendingPathComponent(layout)
        let names = try! FileManager.default.contentsOfDirectory(atPath: folder.path)
        return Dictionary(uniqueKeysWithValues: names.map { ($0, try! Data(contentsOf: folder.appendingPathComponent($0))) })
    }

    static var openCLIP: [String: Data] { files("open_clip") }
    /// The SigLIP fixtures (`siglip_hf`, `siglip_open_clip`) of CLIPModelTests.
    static func family(_ name: String) -> [String: Data] {
        let folder = modelFixtures.deletingLastPathComponent().appendingPathComponent("families/\(name)")
        let names = try! FileManager.default.contentsOfDirectory(atPath: folder.path).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        return Dictionary(uniqueKeysWithValues: names.map { ($0, try! Data(contentsOf: folder.appendingPathComponent($0))) })
    }
    /// One file of a family fixture, by its path inside the family's folder.
    static func familyFile(_ name: String, _ path: String) -> URL {
        modelFixtures.deletingLastPathComponent().appendingPathComponent("families/\(name)/\(path)")
    }
    static var huggingFace: [String: Data] { files("hugging_face") }

    /// Publishes the open_clip files as `repository`'s first commit (tagged `v1`), then a second commit
    /// whose config differs (bilinear resampling) but whose weights are the same; returns both commits
    /// and the second commit's files.
    static func publishTwoRevisions(_ server: FakeHubServer, _ repository: String) -> (first: String, second: String, changed: [String: Data]) {
        let first = server.publish(repository, files: openCLIP)
        server.setReference(repository, "v1", commit: first)
        var changed = openCLIP
        changed["open_clip_config.json"] = Data(String(decoding: changed["open_clip_config.json"]!, as: UTF8.self)
            .replacingOccurrences(of: "\"bicubic\"", with: "\"bilinear\"").utf8)
        return (first, server.publish(repository, files: changed), changed)
    }

    /// A fresh, empty cache folder.
    static func temporaryCache(_ name: String = #function) -> URL {
        temporaryDirectory("hub-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))")
    }

    static func configuration(_ server: FakeHubServer, cache: URL, token: String? = nil, offline: Bool = false) -> HubConfiguration {
        HubConfiguration(endpoint: server.endpoint, token: token, cacheDirectory: cache, offline: offline, connectTimeout: 2)
    }

    /// A client with no pause between retries.
    static func client(_ configuration: HubConfiguration) -> HubClient {
        let client = HubClient(configuration: configuration)
        client.retryDelay = 0
        return client
    }

    /// Embeddings of a fixed text and image, to compare two loads of the same weights.
    static func embeddings(_ loaded: LoadedModel) throws -> [Float] {
        let image = CLIPTensor.Tensor.normal([1, 3, 32, 32], seed: 5)
        return try CLIPTensor.withNoGrad {
            (try loaded.model.encodeImage(image)).scalars + (try loaded.model.encodeText([[498, 7, 9, 499]])).scalars
        }
    }
}

import CLIPTensor
