import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Hugging Face Hub in the test process, on a loopback port, speaking the part of the protocol
/// downloads use: `HEAD`/`GET /{owner}/{name}/resolve/{revision}/{file}` with `X-Repo-Commit`,
/// `ETag` (git blob id) for small files, and for LFS files a 302 to a CDN path on another host name
/// (`localhost` rather than `127.0.0.1`) with `X-Linked-Etag` (SHA-256) and `X-Linked-Size`; the
/// CDN honours `Range`. Errors as the Hub sends them: 401 `RepoNotFound` for unknown or private
/// repositories, 404 `RevisionNotFound` / `EntryNotFound`. Faults on demand: a connection cut
/// mid-transfer, corrupted bytes, a renamed repository (relative redirect).
///
/// One request per connection (`Connection: close`), each on its own thread.
public final class FakeHubServer: @unchecked Sendable {
    /// A request as received, for assertions.
    public struct Request: Sendable {
        public let method: String
        public let path: String
        /// Header names in lower case.
        public let headers: [String: String]
    }

    private struct Commit {
        var files: [String: [UInt8]]
        var lfs: Set<String>
        /// SHA-256 of the LFS files and git blob ids of the others, computed once.
        var sha256: [String: String]
        var blobIDs: [String: String]
    }

    private struct Repository {
        var commits: [String: Commit] = [:]
        var branches: [String: String] = [:]
        var token: String?
    }

    private let lock = NSLock()
    private var repositories: [String: Repository] = [:]
    private var renamed: [String: String] = [:]
    private var cuts: [String: Int] = [:]          // "repo/file" → bytes sent before the connection drops (once)
    private var corrupted: Set<String> = []         // "repo/file" → one byte flipped in every response
    private var log: [Request] = []
    private var stopped = false
    private let listener: Int32
    public let port: Int

    /// `http://127.0.0.1:<port>`: the value for `HF_ENDPOINT`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    // MARK: - Content

    /// Publishes a new commit of `repository` on `main` and returns its hash. Files in `lfs` (by
    /// default those over 1 KB) are served as LFS files. A `token` makes the repository private.
    @discardableResult
    public func publish(_ repository: String, files: [String: Data], lfs: Set<String>? = nil, token: String? = nil) -> String {
        let contents = files.mapValues { [UInt8]($0) }
        let large = lfs ?? Set(contents.filter { $0.value.count > 1024 }.keys)
        lock.lock()
        defer { lock.unlock() }
        var state = repositories[repository] ?? Repository()
        let blobIDs = contents.mapValues { gitBlobID($0) }
        let sha256 = contents.filter { large.contains($0.key) }.mapValues { sha256Hex($0) }
        let fingerprint = contents.keys.sorted().map { "\($0):\(blobIDs[$0]!)" }.joined(separator: ";")
        let commit = sha1Hex(Array("\(repository)#\(state.commits.count)#\(fingerprint)".utf8))
        state.commits[commit] = Commit(files: contents, lfs: large, sha256: sha256, blobIDs: blobIDs)
        state.branches["main"] = commit
        state.token = token
        repositories[repository] = state
        return commit
    }

    /// Points `tag` (a branch or tag name) of `repository` at `commit`.
    public func setReference(_ repository: String, _ tag: String, commit: String) {
        lock.lock()
        repositories[repository]?.branches[tag] = commit
        lock.unlock()
    }

    /// Requests for `old` are redirected (relative path, as the Hub does for renamed repositories).
    public func rename(_ old: String, to new: String) {
        lock.lock()
        renamed[old] = new
        lock.unlock()
    }

    /// The next GET of the file's bytes stops after `bytes` bytes and the connection is closed.
    public func cutNextTransfer(_ repository: String, file: String, after bytes: Int) {
        lock.lock()
        cuts["\(repository)/\(file)"] = bytes
        lock.unlock()
    }

    /// Every GET of the file's bytes has one byte changed, so its checksum fails.
    public func corrupt(_ repository: String, file: String) {
        lock.lock()
        corrupted.insert("\(repository)/\(file)")
        lock.unlock()
    }

    /// The requests received so far.
    public var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    public func clearRequests() {
        lock.lock()
        log.removeAll()
        lock.unlock()
    }

    // MARK: - Serving

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                continue
            }
            Thread.detachNewThread { [self] in
                serve(connection)
                close(connection)
            }
        }
    }

    private struct Response {
        var status: Int
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        /// Bytes of the body to send before dropping the connection.
        var cutAfter: Int? = nil
        /// The body's length to announce when it differs from `body` (HEAD).
        var announcedLength: Int? = nil
    }

    private func serve(_ connection: Int32) {
        guard let request = readRequest(connection) else { return }
        lock.lock()
        log.append(request)
        lock.unlock()
        var response = route(request)
        if request.method == "HEAD" {
            response.announcedLength = response.announcedLength ?? response.body.count
            response.body = []
        }
        write(response, to: connection)
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while data.count < 65536 {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            data += buffer[0..<count]
            if let end = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                let text = String(decoding: data[..<end.lowerBound], as: UTF8.self)
                let lines = text.components(separatedBy: "\r\n")
                let parts = lines[0].split(separator: " ")
                guard parts.count == 3 else { return nil }
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return Request(method: String(parts[0]), path: String(parts[1]), headers: headers)
            }
        }
        return nil
    }

    private func write(_ response: Response, to connection: Int32) {
        let reasons = [200: "OK", 206: "Partial Content", 302: "Found", 307: "Temporary Redirect", 401: "Unauthorized",
                       404: "Not Found", 416: "Range Not Satisfiable"]
        var head = "HTTP/1.1 \(response.status) \(reasons[response.status] ?? "Status")\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.announcedLength ?? response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes += response.body.prefix(response.cutAfter ?? response.body.count)
        var sent = 0
        while sent < bytes.count {
            #if os(Linux)
            let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #else
            let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            #endif
            if count <= 0 { return }
            sent += count
        }
        if response.cutAfter != nil { shutdown(connection, Int32(SHUT_RDWR)) }
    }

    private func hubError(_ status: Int, _ code: String, _ message: String, commit: String? = nil) -> Response {
        var headers = [("X-Error-Code", code), ("X-Error-Message", message), ("Content-Type", "application/json")]
        if let commit { headers.append(("X-Repo-Commit", commit)) }
        return Response(status: status, headers: headers, body: Array("{\"error\":\"\(message)\"}".utf8))
    }

    private func route(_ request: Request) -> Response {
        let path = request.path.split(separator: "?").first.map(String.init) ?? request.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        lock.lock()
        defer { lock.unlock() }
        if segments.count == 2, segments[0] == "cdn" { return cdn(segments[1], request) }
        guard segments.count >= 5, segments[2] == "resolve" else { return Response(status: 404, body: Array("no route".utf8)) }
        let repositoryID = "\(segments[0])/\(segments[1])"
        let revision = segments[3].removingPercentEncoding ?? segments[3]
        let file = segments[4...].map { $0.removingPercentEncoding ?? $0 }.joined(separator: "/")
        if let newName = renamed[repositoryID] {
            return Response(status: 307, headers: [("Location", "/\(newName)/resolve/\(segments[3...].joined(separator: "/"))")])
        }
        guard let repository = repositories[repositoryID],
              repository.token == nil || request.headers["authorization"] == "Bearer \(repository.token!)" else {
            return hubError(401, "RepoNotFound", "Repository not found")
        }
        guard let commitID = repository.branches[revision] ?? (repository.commits[revision] != nil ? revision : nil),
              let commit = repository.commits[commitID] else {
            return hubError(404, "RevisionNotFound", "Invalid rev id: \(revision)")
        }
        guard var content = commit.files[file] else {
            return hubError(404, "EntryNotFound", "\(file) does not exist on \"\(revision)\"", commit: commitID)
        }
        let key = "\(repositoryID)/\(file)"
        if let sha = commit.sha256[file] {
            return Response(status: 302, headers: [
                ("Location", "http://localhost:\(port)/cdn/\(sha)?repo=\(repositoryID)&file=\(file)"),
                ("X-Repo-Commit", commitID), ("X-Linked-Etag", "\"\(sha)\""), ("X-Linked-Size", "\(content.count)"),
                ("ETag", "\"\(gitBlobID(Array("version https://git-lfs.github.com/spec/v1\noid sha256:\(sha)\n".utf8)))\""),
            ])
        }
        if corrupted.contains(key), !content.isEmpty { content[content.count / 2] ^= 0xFF }
        var response = Response(status: 200, headers: [("X-Repo-Commit", commitID), ("ETag", "\"\(commit.blobIDs[file]!)\"")], body: content)
        if request.method == "GET", let cut = cuts.removeValue(forKey: key) { response.cutAfter = cut }
        return response
    }

    /// The CDN: LFS contents by SHA-256, with Range support.
    private func cdn(_ sha: String, _ request: Request) -> Response {
        let query = request.path.split(separator: "?").dropFirst().first.map(String.init) ?? ""
        let parameters = Dictionary(query.split(separator: "&").compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
        var found: [UInt8]?
        for repository in repositories.values {
            for commit in repository.commits.values {
                for (name, digest) in commit.sha256 where digest == sha { found = commit.files[name] }
            }
        }
        guard var content = found else { return Response(status: 404, body: Array("no such object".utf8)) }
        let key = "\(parameters["repo"] ?? "")/\(parameters["file"] ?? "")"
        if corrupted.contains(key), !content.isEmpty { content[content.count / 2] ^= 0xFF }
        var response = Response(status: 200, headers: [("ETag", "\"\(sha)\""), ("Accept-Ranges", "bytes")], body: content)
        if let range = request.headers["range"], range.hasPrefix("bytes=") {
            let bounds = range.dropFirst("bytes=".count).split(separator: "-", omittingEmptySubsequences: false)
            guard let start = Int(bounds.first ?? ""), start < content.count else {
                return Response(status: 416, headers: [("Content-Range", "bytes */\(content.count)")])
            }
            let end = bounds.count > 1 ? Int(bounds[1]).map { min($0, content.count - 1) } ?? content.count - 1 : content.count - 1
            response = Response(status: 206, headers: [("ETag", "\"\(sha)\""), ("Content-Range", "bytes \(start)-\(end)/\(content.count)")],
                                body: Array(content[start...end]))
        }
        if request.method == "GET", let cut = cuts.removeValue(forKey: key) { response.cutAfter = cut }
        return response
    }
}
