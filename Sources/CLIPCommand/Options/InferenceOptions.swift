import ArgumentParser
import CLIPEvaluation
import CLIPModel
import Foundation

/// `--batch-size` for the commands that run a model over many inputs.
struct BatchOptions: ParsableArguments {
    static let range = 1...4096

    // `.unconditional` takes "-1" as the value, so that it gets the range error, not "missing value".
    @Option(parsing: .unconditional, help: "Images or texts per forward pass (1…4096).")
    var batchSize = 32

    func validate() throws {
        guard Self.range.contains(batchSize) else {
            throw ValidationError("--batch-size must be \(Self.range.lowerBound)…\(Self.range.upperBound), got \(batchSize)")
        }
    }
}

/// `--cache-dir` and `--no-cache`: where image features and classifier weights are kept between runs.
struct CacheOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where image features and classifier weights are cached (default $CLIP_CACHE_DIR, else $XDG_CACHE_HOME/swift-clip, else ~/.cache/swift-clip).", valueName: "dir"))
    var cacheDir: String?

    @Flag(help: "Neither read nor write the caches.")
    var noCache = false

    /// The cache folder, or nil with --no-cache.
    var cacheDirectory: URL? {
        if noCache { return nil }
        if let cacheDir { return URL(fileURLWithPath: cacheDir) }
        return Self.defaultDirectory
    }

    /// swift-clip's cache folder: $CLIP_CACHE_DIR, else $XDG_CACHE_HOME/swift-clip, else ~/.cache/swift-clip.
    static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CLIP_CACHE_DIR"], !path.isEmpty { return URL(fileURLWithPath: path) }
        if let path = environment["XDG_CACHE_HOME"], !path.isEmpty { return URL(fileURLWithPath: path).appendingPathComponent("swift-clip") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swift-clip")
    }

    /// The image-feature cache of `loaded` in the cache folder, or nil with --no-cache.
    func embeddingCache(for loaded: LoadedModel) -> EmbeddingCache? {
        cacheDirectory.map { EmbeddingCache(model: loaded, cacheDirectory: $0) }
    }
}

/// The class names of a zero-shot task: `--classes a,b,c` (or `--labels`) or `--classes-file FILE`.
struct ClassOptions: ParsableArguments {
    @Option(name: [.customLong("classes"), .customLong("labels")], help: ArgumentHelp("Class names, comma-separated.", valueName: "names"))
    var classes: String?

    @Option(help: ArgumentHelp("A file of class names: one per line, or a JSON list.", valueName: "file"))
    var classesFile: String?

    func validate() throws {
        if classes != nil && classesFile != nil { throw ValidationError("give --classes or --classes-file, not both") }
    }

    /// The names from either option, or nil when neither was given.
    func names() throws -> [String]? {
        if let classesFile { return try ClassificationDataset.readClassNames(classesFile) }
        return classes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }
}

/// `--templates`: the prompt templates of a zero-shot classifier.
struct TemplateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("default (swift-clip's own ensemble of 24), simple (\"a photo of a {}.\"), chinese (8 Chinese prompts, for Chinese-CLIP), or a file of templates (JSON list, {\"templates\": […]}, or one per line).", valueName: "set"))
    var templates = "default"

    func load() throws -> PromptTemplates {
        try PromptTemplates.named(templates)
    }
}
