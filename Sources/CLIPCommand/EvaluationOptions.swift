import ArgumentParser
import Foundation

/// Options shared by the commands that encode many images: batch size and the on-disk caches.
struct EvaluationOptions: ParsableArguments {
    @Option(help: "Images or texts per forward pass.")
    var batchSize = 32

    @Option(help: "Where image features and classifier weights are cached (default $CLIP_CACHE_DIR, else $XDG_CACHE_HOME/swift-clip, else ~/.cache/swift-clip).")
    var cacheDir: String?

    @Flag(help: "Neither read nor write the caches.")
    var noCache = false

    func validate() throws {
        guard (1...4096).contains(batchSize) else { throw ValidationError("--batch-size must be 1…4096") }
    }

    /// The cache folder, or nil with --no-cache.
    var cacheDirectory: URL? {
        if noCache { return nil }
        if let cacheDir { return URL(fileURLWithPath: cacheDir) }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CLIP_CACHE_DIR"], !path.isEmpty { return URL(fileURLWithPath: path) }
        if let path = environment["XDG_CACHE_HOME"], !path.isEmpty { return URL(fileURLWithPath: path).appendingPathComponent("swift-clip") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swift-clip")
    }
}
