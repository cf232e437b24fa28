import AsyncHTTPClient
import CLIPFileSystem
import CLIPTensor
import Foundation
import NIOCore
import NIOHTTP1

/// Downloads files of Hub repositories into the shared cache, the way `hf_hub_download` does: a HEAD
/// on the `resolve` URL names the commit and the checksum, the bytes go to `blobs/<etag>.incomplete`
/// (resumed with a Range request after an interruption), are checked against the size and checksum,
/// renamed into place and linked from `snapshots/<commit>/<file>`.
///
/// Calls block until done; use one client from one thread at a time.
public final class HubClient: @unchecked Sendable {
    /// Endpoint, token, cache and offline mode.
    public let configuration: HubConfiguration
    /// The cache downloads go into.
    public let cache: HubCache
    /// Tries per file when the connection drops mid-transfer (each resumes where the last stopped).
    public var maximumAttempts = 5
    /// Pause before a retry, multiplied by the attempt number.
    public var retryDelay: TimeInterval = 0.5
    private let http: HTTPClient
    private var isShutDown = false
    /// Set after the Hub could not be reached: later files come from the cache without waiting again.
    private var unreachable = false

    /// A client for `configuration` (by default the environment's).
    public init(configuration: HubConfiguration = .current) {
        self.configuration = configuration
        cache = HubCache(root: configuration.cacheDirectory)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(configuration.connectTimeout * 1000)), read: .seconds(60)),
            decompression: .disabled))
    }

    deinit { shutdown() }

    /// Closes the connections. The client cannot be used afterwards.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        try? http.syncShutdown()
    }

    /// `{endpoint}/{repository}/resolve/{revision}/{file}`, the revision escaped whole (`refs/pr/1`
    /// becomes `refs%2Fpr%2F1`) and the file path escaped per segment.
    public func resolveURL(repository: String, revision: String, file: String) -> String {
        let revisionPart = revision.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? revision
        let filePart = file.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? String($0) }.joined(separator: "/")
        return "\(configuration.endpoint)/\(repository)/resolve/\(revisionPart)/\(filePart)"
    }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    // MARK: - Metadata

    /// The file's commit, checksum, size and download location; nil when the revision exists but
    /// the file does not. Relative redirects (renamed repositories) are followed; an absolute one
    /// (the CDN holding an LFS file) is where the bytes will be fetched from.
    public func metadata(repository: String, revision: String, file: String) throws -> HubFileMetadata? {
        var url = resolveURL(repository: repository, revision: revision, file: file)
        for _ in 0..<10 {
            let response = try send(url: url, method: .HEAD)
            let status = Int(response.status.code)
            if (300..<400).contains(status), let location = response.headers.first(name: "Location") {
                if let relative = Self.sameOrigin(location, of: url) { url = relative; continue }
                return try HubFileMetadata(headers: response.headers, downloadURL: location, requestURL: url)
            }
            if status == 200 { return try HubFileMetadata(headers: response.headers, downloadURL: url, requestURL: url) }
            let code = response.headers.first(name: "X-Error-Code")
            switch (status, code) {
            case (404, "EntryNotFound"?):
                if let commit = response.headers.first(name: "X-Repo-Commit"), HubCache.isCommitHash(commit) {
                    cache.markMissing(repository, commit: commit, file: file)
                }
                return nil
            case (404, "RevisionNotFound"?):
                throw HubError.revisionNotFound(repository: repository, revision: revision)
            case (_, "RepoNotFound"?), (404, nil):
                throw HubError.repositoryNotFound(repository: repository, endpoint: configuration.endpoint, hasToken: configuration.token != nil)
            case (401, _), (403, _):
                throw HubError.unauthorized(repository: repository, status: status, hasToken: configuration.token != nil)
            default:
                throw HubError.httpStatus(url: url, status: status, message: response.headers.first(name: "X-Error-Message") ?? "")
            }
        }
        throw HubError.httpStatus(url: url, status: 310, message: "too many redirects")
    }

    // MARK: - Files

    /// The local path of `file` at `revision`, downloading it unless the cache has it. Offline
    /// (`HF_HUB_OFFLINE`), or when the Hub cannot be reached, a cached copy is used if there is one.
    public func file(repository: String, revision: String = "main", file: String,
                     progress: (@Sendable (DownloadProgress) -> Void)? = nil) throws -> URL {
        if configuration.offline { return try cachedOrThrow(repository, revision, file) }
        if unreachable, let cached = cached(repository, revision, file) { return cached }
        let found: HubFileMetadata?
        do {
            found = try metadata(repository: repository, revision: revision, file: file)
        } catch HubError.network(let url, let reason) {
            unreachable = true
            if let cached = cached(repository, revision, file) { return cached }
            throw HubError.network(url: url, reason: reason)
        }
        guard let metadata = found else { throw HubError.fileNotFound(repository: repository, revision: revision, file: file) }
        try cache.writeRef(repository, revision: revision, commit: metadata.commit)
        if let existing = cache.cachedFile(repository, commit: metadata.commit, file: file) { return existing }
        let blob = cache.blob(repository, etag: metadata.etag)
        try cache.create(blob.deletingLastPathComponent())
        let lockFile = cache.lockFile(repository, etag: metadata.etag)
        let lock: FileLock
        do { lock = try FileLock(lockFile) } catch { throw HubError.cache(path: error.path, reason: error.reason) }
        defer { withExtendedLifetime(lock) {} }
        if !FileManager.default.fileExists(atPath: blob.path) {
            try fetch(metadata, file: file, into: blob, progress: progress)
        }
        return try cache.link(repository, commit: metadata.commit, file: file, etag: metadata.etag)
    }

    /// Whether the cache (or, online, the Hub) has `file`; a missing file is nil, other failures throw.
    public func optionalFile(repository: String, revision: String, file: String,
                             progress: (@Sendable (DownloadProgress) -> Void)? = nil) throws -> URL? {
        do { return try self.file(repository: repository, revision: revision, file: file, progress: progress) } catch HubError.fileNotFound {
            return nil
        } catch let HubError.notCached(_, _, missing?, _, _) where missing == file {
            return nil
        }
    }

    /// The commit a revision resolves to: from the cache offline, else from a HEAD on `file`.
    func cached(_ repository: String, _ revision: String, _ file: String) -> URL? {
        cache.commit(repository, revision: revision).flatMap { cache.cachedFile(repository, commit: $0, file: file) }
    }

    private func cachedOrThrow(_ repository: String, _ revision: String, _ file: String) throws -> URL {
        if let cached = cached(repository, revision, file) { return cached }
        throw HubError.notCached(repository: repository, revision: revision, file: file, cache: cache.root.path, offline: true)
    }

    /// Downloads into `blob` through `blob.incomplete`, resuming and retrying, then verifies.
    private func fetch(_ metadata: HubFileMetadata, file: String, into blob: URL,
                       progress: (@Sendable (DownloadProgress) -> Void)?) throws {
        let partial = URL(fileURLWithPath: blob.path + ".incomplete")
        let resumedFrom = Self.size(of: partial)
        var attempt = 1
        while true {
            let offset = Self.size(of: partial)
            if let total = metadata.size, offset == total, total > 0 { break }
            do {
                try transfer(from: metadata.downloadURL, into: partial, offset: offset) { completed in
                    progress?(DownloadProgress(file: file, completed: completed, total: metadata.size, resumedFrom: resumedFrom, finished: false))
                }
                if let total = metadata.size, Self.size(of: partial) < total {
                    throw HubError.network(url: metadata.downloadURL, reason: "the connection closed after \(Self.size(of: partial)) of \(total) bytes")
                }
                break
            } catch let error as HubError {
                guard case .network = error, attempt < maximumAttempts else { throw error }
                attempt += 1
                Thread.sleep(forTimeInterval: retryDelay * Double(attempt - 1))
            }
        }
        try verify(partial, metadata: metadata, file: file)
        guard rename(partial.path, blob.path) == 0 else {
            throw HubError.cache(path: blob.path, reason: "cannot move the download into place: \(String(cString: strerror(errno)))")
        }
        progress?(DownloadProgress(file: file, completed: Self.size(of: blob), total: metadata.size, resumedFrom: resumedFrom, finished: true))
    }

    /// The size and checksum must be what the Hub reported; a mismatch removes the partial file.
    private func verify(_ partial: URL, metadata: HubFileMetadata, file: String) throws {
        let size = Self.size(of: partial)
        if let total = metadata.size, size != total {
            try? FileManager.default.removeItem(at: partial)
            throw HubError.checksumMismatch(file: file, expected: "\(total) bytes", actual: "\(size) bytes")
        }
        guard let kind = FileDigest.kind(ofETag: metadata.etag) else { return }
        let actual = try FileDigest.hex(of: partial, kind: kind)
        guard actual == metadata.etag.lowercased() else {
            try? FileManager.default.removeItem(at: partial)
            throw HubError.checksumMismatch(file: file, expected: metadata.etag, actual: actual)
        }
    }

    /// One GET, following redirects; the token goes only to the endpoint's own host.
    private func transfer(from start: String, into partial: URL, offset: Int64, onBytes: @escaping @Sendable (Int64) -> Void) throws {
        var url = start
        for _ in 0..<10 {
            var extra = HTTPHeaders()
            if offset > 0 { extra.add(name: "Range", value: "bytes=\(offset)-") }
            let request = try makeRequest(url: url, method: .GET, extra: extra)
            let delegate = FileTransfer(file: partial, offset: offset, onBytes: onBytes)
            let outcome: FileTransfer.Outcome
            do { outcome = try http.execute(request: request, delegate: delegate).futureResult.wait() } catch let error as HubError {
                throw error
            } catch {
                throw HubError.network(url: url, reason: Self.describe(error))
            }
            switch outcome.status {
            case 200, 206: return
            case 301, 302, 303, 307, 308:
                guard let location = outcome.headers.first(name: "Location") else {
                    throw HubError.httpStatus(url: url, status: outcome.status, message: "a redirect without a Location")
                }
                url = Self.sameOrigin(location, of: url) ?? location
            case 416:
                // The partial file is not a prefix of this file (longer than it): start again.
                try? FileManager.default.removeItem(at: partial)
                throw HubError.network(url: url, reason: "range not satisfiable at byte \(offset)")
            case -206:
                throw HubError.httpStatus(url: url, status: 206, message: "the server answered a different byte range than asked for")
            case 401, 403:
                throw HubError.httpStatus(url: url, status: outcome.status, message: outcome.message)
            default:
                throw HubError.httpStatus(url: url, status: outcome.status, message: outcome.message)
            }
        }
        throw HubError.httpStatus(url: start, status: 310, message: "too many redirects")
    }

    private func send(url: String, method: HTTPMethod) throws -> HTTPClient.Response {
        let request = try makeRequest(url: url, method: method, extra: HTTPHeaders())
        let deadline = NIODeadline.now() + .milliseconds(Int64(configuration.connectTimeout * 1000))
        do { return try http.execute(request: request, deadline: deadline).wait() } catch {
            throw HubError.network(url: url, reason: Self.describe(error))
        }
    }

    private func makeRequest(url: String, method: HTTPMethod, extra: HTTPHeaders) throws -> HTTPClient.Request {
        var headers = extra
        headers.add(name: "User-Agent", value: "swift-clip/\(Diagnostics.version)")
        headers.add(name: "Accept-Encoding", value: "identity")
        if let token = configuration.token, Self.host(of: url) == Self.host(of: configuration.endpoint) {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        do { return try HTTPClient.Request(url: url, method: method, headers: headers) } catch {
            throw HubError.network(url: url, reason: "not a valid URL (\(error))")
        }
    }

    /// A redirect target on the same origin: an absolute path joined to `url`'s scheme and host.
    static func sameOrigin(_ location: String, of url: String) -> String? {
        guard location.hasPrefix("/"), !location.hasPrefix("//"), let components = URLComponents(string: url),
              let scheme = components.scheme, let host = components.host else { return nil }
        let port = components.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)\(location)"
    }

    static func host(of url: String) -> String? {
        guard let components = URLComponents(string: url) else { return nil }
        return "\(components.host ?? ""):\(components.port ?? (components.scheme == "https" ? 443 : 80))"
    }

    static func size(of file: URL) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// A readable reason for a connection failure.
    static func describe(_ error: Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") { return "the server closed the connection" }
        if text.contains("readTimeout") { return "no data for 60 s (read timeout)" }
        return text
    }
}
