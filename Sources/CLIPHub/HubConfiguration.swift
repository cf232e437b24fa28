import Foundation

/// Where the Hugging Face Hub is and where its files are cached, read from the same environment
/// variables as Python's `huggingface_hub`, so that both share one cache.
public struct HubConfiguration: Sendable, Equatable {
    /// The Hub's base URL (`HF_ENDPOINT`, default https://huggingface.co), without a trailing slash.
    public var endpoint: String
    /// A token sent as `Authorization: Bearer …` to the endpoint (`HF_TOKEN`, else the token file
    /// `huggingface-cli login` writes). Never sent to other hosts a download is redirected to.
    public var token: String?
    /// The cache root (`HF_HUB_CACHE`, else `$HF_HOME/hub`, `HF_HOME` defaulting to
    /// `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`).
    public var cacheDirectory: URL
    /// `HF_HUB_OFFLINE=1`: never touch the network; only cached files are used.
    public var offline: Bool
    /// Seconds to wait for the Hub to accept a connection and answer a metadata request
    /// (`HF_HUB_ETAG_TIMEOUT`, default 10 as in huggingface_hub). After one such failure the rest of
    /// the run uses the cache.
    public var connectTimeout: Double

    /// The public Hub.
    public static let defaultEndpoint = "https://huggingface.co"

    /// A configuration with these values (tests, or callers that do not read the environment).
    public init(endpoint: String = defaultEndpoint, token: String? = nil, cacheDirectory: URL, offline: Bool = false,
                connectTimeout: Double = 10) {
        self.endpoint = Self.trimmedEndpoint(endpoint)
        self.token = token
        self.cacheDirectory = cacheDirectory
        self.offline = offline
        self.connectTimeout = connectTimeout
    }

    /// The configuration the environment describes.
    public init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        let home = value("HOME").map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        func expanded(_ path: String) -> URL {
            path.hasPrefix("~/") ? home.appendingPathComponent(String(path.dropFirst(2))) : URL(fileURLWithPath: path)
        }
        let hfHome = value("HF_HOME").map(expanded)
            ?? (value("XDG_CACHE_HOME").map(expanded) ?? home.appendingPathComponent(".cache")).appendingPathComponent("huggingface")
        let cache = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(expanded) ?? hfHome.appendingPathComponent("hub")
        var token = value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")
        if token == nil {
            let tokenFile = value("HF_TOKEN_PATH").map(expanded) ?? hfHome.appendingPathComponent("token")
            token = (try? String(contentsOf: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if token?.isEmpty == true { token = nil }
        }
        let offline = ["1", "ON", "YES", "TRUE"].contains(value("HF_HUB_OFFLINE")?.uppercased() ?? "")
        let timeout = value("HF_HUB_ETAG_TIMEOUT").flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 10
        self.init(endpoint: value("HF_ENDPOINT") ?? Self.defaultEndpoint, token: token, cacheDirectory: cache, offline: offline,
                  connectTimeout: timeout)
    }

    /// The process environment's configuration, unless a caller (a test) has set another for its task.
    public static var current: HubConfiguration {
        override ?? HubConfiguration(environment: ProcessInfo.processInfo.environment)
    }

    /// Replaces the environment for work inside `withValue` (tests run commands against a local Hub).
    @TaskLocal public static var override: HubConfiguration?

    static func trimmedEndpoint(_ text: String) -> String {
        var endpoint = text
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        return endpoint
    }
}
