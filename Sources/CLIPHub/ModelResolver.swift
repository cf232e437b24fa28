import Foundation

/// A model reference made local: the directory or file to load, and what the reference implies.
public struct ResolvedModel: Sendable, Equatable {
    /// What was asked for.
    public let reference: ModelReference
    /// A model directory (a Hub snapshot folder) or a weights file.
    public let path: String
    /// QuickGELU forced by an open_clip pretrained tag; nil to keep the configuration's activation.
    public let quickGELU: Bool?
    /// The snapshot of the Hugging Face text model an open_clip configuration names, when the
    /// model's repository lacks what it needs from there (its `config.json` or tokenizer).
    public var textModelPath: String? = nil
}

/// Turns `--model` arguments into local paths: local paths as they are, Hub repositories and
/// open_clip pretrained tags by downloading what a CLIP model needs into the Hub cache (or finding
/// it there offline).
public final class ModelResolver: @unchecked Sendable {
    /// Endpoint, token, cache and offline mode.
    public let configuration: HubConfiguration
    /// Called as bytes arrive, for a progress display.
    public var progress: (@Sendable (DownloadProgress) -> Void)?
    private var clientStorage: HubClient?

    /// A resolver for `configuration` (by default the environment's).
    public init(configuration: HubConfiguration = .current) {
        self.configuration = configuration
    }

    deinit { clientStorage?.shutdown() }

    /// The client, created on first use so that local paths never open a connection pool.
    private var client: HubClient {
        if let clientStorage { return clientStorage }
        let client = HubClient(configuration: configuration)
        clientStorage = client
        return client
    }

    /// Weight files of each layout, in order of preference.
    static let openCLIPWeights = ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
    static let huggingFaceWeights = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"]
    /// Files a Hugging Face directory may have beside its weights; absent ones are skipped
    /// (`spiece.model`: SigLIP's SentencePiece model; `vocab.txt`: BERT's vocabulary).
    static let huggingFaceExtras = ["preprocessor_config.json", "vocab.json", "merges.txt", "tokenizer_config.json",
                                    "special_tokens_map.json", "tokenizer.json", "spiece.model", "vocab.txt"]
    /// Tokenizer files an open_clip directory may carry for a text tower with `hf_tokenizer_name`
    /// (SigLIP's Hub exports hold them beside the weights); absent ones are skipped.
    static let openCLIPExtras = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]

    /// Resolves a reference as a user writes it (path, `owner/name[@revision]`, `ARCH:TAG`).
    public func resolve(_ text: String) throws -> ResolvedModel {
        try resolve(try ModelReference.parse(text))
    }

    /// Resolves a parsed reference, downloading what the cache lacks.
    public func resolve(_ reference: ModelReference) throws -> ResolvedModel {
        switch reference {
        case let .local(path):
            return ResolvedModel(reference: reference, path: path, quickGELU: nil)
        case let .hub(repository, revision):
            let folder = try snapshot(repository, revision: revision ?? "main")
            return ResolvedModel(reference: reference, path: folder.path, quickGELU: nil, textModelPath: try textModelSnapshot(for: folder))
        case let .pretrained(entry):
            let folder = try snapshot(entry.repository, revision: "main")
            return ResolvedModel(reference: reference, path: folder.path, quickGELU: entry.quickGELU ? true : nil,
                                 textModelPath: try textModelSnapshot(for: folder))
        }
    }

    /// open_clip fetches a Hugging Face text tower's `config.json` and tokenizer from the
    /// repositories its configuration names (`hf_model_name`, `hf_tokenizer_name`: laion's XLM-R
    /// models ship neither beside the weights). The files a model folder lacks are fetched from
    /// there: the tokenizer files and `config.json`; nil when nothing is needed. Offline, what the
    /// cache holds is used; a repository without them leaves the loader to report what is missing.
    func textModelSnapshot(for folder: URL) throws -> String? {
        let configuration = folder.appendingPathComponent("open_clip_config.json")
        guard let text = Self.textSection(configuration) else { return nil }
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path) }
        let modelName = text["hf_model_name"] as? String
        let tokenizerName = text["hf_tokenizer_name"] as? String ?? modelName
        let needsTokenizer = !exists("tokenizer.json")
        let needsConfiguration = modelName.map { !exists("\($0)/config.json") } ?? false
        guard needsTokenizer || needsConfiguration, let repository = needsTokenizer ? tokenizerName : modelName,
              Self.isRepositoryName(repository) else { return nil }
        var found: URL? = nil
        for file in Self.textModelFiles {
            do {
                if let path = try client.optionalFile(repository: repository, revision: "main", file: file, progress: progress) {
                    found = path.deletingLastPathComponent()
                }
            } catch HubError.notCached {
                return found?.path
            }
        }
        return found?.path
    }

    /// What a Hugging Face text model's repository holds for swift-clip: its tokenizer and sizes.
    static let textModelFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json"]

    /// `model_cfg.text_cfg` of an `open_clip_config.json`, when it names a Hugging Face tower or tokenizer.
    static func textSection(_ config: URL) -> [String: Any]? {
        guard let data = try? Data(contentsOf: config),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        let model = root["model_cfg"] as? [String: Any] ?? root
        guard let text = model["text_cfg"] as? [String: Any], text["hf_model_name"] is String || text["hf_tokenizer_name"] is String else {
            return nil
        }
        return text
    }

    /// A Hub repository id: `name` (a legacy top-level model such as `xlm-roberta-base`) or
    /// `owner/name`, of letters, digits, `-`, `_` and `.`, never a path that climbs.
    static func isRepositoryName(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part != "." && part != ".." && !part.hasPrefix(".")
                && part.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
        }
    }

    /// Fetches the files of one model layout and returns the snapshot folder that holds them.
    func snapshot(_ repository: String, revision: String) throws -> URL {
        if configuration.offline, client.cache.commit(repository, revision: revision) == nil {
            throw HubError.notCached(repository: repository, revision: revision, file: nil,
                                     cache: configuration.cacheDirectory.path, offline: true)
        }
        let hub = client
        let progress = self.progress
        func optional(_ file: String, at revision: String) throws -> URL? {
            try hub.optionalFile(repository: repository, revision: revision, file: file, progress: progress)
        }
        func firstOf(_ files: [String], at commit: String) throws -> URL {
            for file in files {
                if let found = try optional(file, at: commit) { return found }
            }
            throw HubError.notAModelRepository(repository: repository, revision: revision,
                                               reason: "no weights: none of \(files.joined(separator: ", "))")
        }
        if let config = try optional("open_clip_config.json", at: revision) {
            let folder = config.deletingLastPathComponent()
            _ = try firstOf(Self.openCLIPWeights, at: folder.lastPathComponent)
            if Self.textSection(config)?["hf_tokenizer_name"] is String {
                for extra in Self.openCLIPExtras { _ = try optional(extra, at: folder.lastPathComponent) }
            }
            return folder
        }
        if let config = try optional("config.json", at: revision) {
            let folder = config.deletingLastPathComponent()
            let commit = folder.lastPathComponent
            let weights = try firstOf(Self.huggingFaceWeights, at: commit)
            if weights.lastPathComponent.hasSuffix(".index.json") {
                for shard in try Self.shardNames(index: weights) {
                    _ = try hub.file(repository: repository, revision: commit, file: shard, progress: progress)
                }
            }
            for extra in Self.huggingFaceExtras { _ = try optional(extra, at: commit) }
            return folder
        }
        throw HubError.notAModelRepository(repository: repository, revision: revision,
                                           reason: "it has neither open_clip_config.json nor config.json")
    }

    /// The distinct shard files an index lists.
    static func shardNames(index: URL) throws -> [String] {
        guard let data = try? Data(contentsOf: index),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = root["weight_map"] as? [String: String] else {
            throw HubError.cache(path: index.path, reason: "not a shard index (no \"weight_map\")")
        }
        let names = Set(map.values)
        guard names.allSatisfy({ !$0.contains("/") && !$0.hasPrefix(".") && !$0.isEmpty }) else {
            throw HubError.cache(path: index.path, reason: "a shard name is not a plain file name")
        }
        return names.sorted()
    }
}
