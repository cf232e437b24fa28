import Foundation
import NIOHTTP1

/// What the Hub reports about one file at one revision, from the headers of its `resolve` URL.
public struct HubFileMetadata: Sendable, Equatable {
    /// The commit the revision resolved to (`X-Repo-Commit`).
    public let commit: String
    /// The content checksum: SHA-256 for LFS files (`X-Linked-Etag`), the git blob id otherwise (`ETag`).
    public let etag: String
    /// The file's size in bytes (`X-Linked-Size`, else `Content-Length`), when reported.
    public let size: Int64?
    /// Where to GET the bytes: the CDN location of an LFS file, else the `resolve` URL.
    public let downloadURL: String

    init(headers: HTTPHeaders, downloadURL: String, requestURL: String) throws {
        guard let commit = headers.first(name: "X-Repo-Commit"), !commit.isEmpty else {
            throw HubError.httpStatus(url: requestURL, status: 200, message: "the server did not name the commit (no X-Repo-Commit header): is HF_ENDPOINT a Hugging Face Hub?")
        }
        guard let etag = (headers.first(name: "X-Linked-Etag") ?? headers.first(name: "ETag")).map(Self.normalizedETag), !etag.isEmpty else {
            throw HubError.httpStatus(url: requestURL, status: 200, message: "the server sent no ETag for the file")
        }
        guard !etag.contains("/"), !etag.hasPrefix(".") else {
            throw HubError.httpStatus(url: requestURL, status: 200, message: "the ETag '\(etag)' cannot name a cache file")
        }
        self.commit = commit
        self.etag = etag
        size = (headers.first(name: "X-Linked-Size") ?? headers.first(name: "Content-Length")).flatMap { Int64($0) }
        self.downloadURL = downloadURL
    }

    /// `W/"abc"` → `abc`, as huggingface_hub normalises ETags.
    static func normalizedETag(_ text: String) -> String {
        var etag = Substring(text.trimmingCharacters(in: .whitespaces))
        if etag.hasPrefix("W/") { etag = etag.dropFirst(2) }
        return etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}

/// Bytes of a file arriving, for progress display.
public struct DownloadProgress: Sendable {
    /// The file's name in the repository.
    public let file: String
    /// Bytes on disk so far, including a resumed partial file.
    public let completed: Int64
    /// Its size when the Hub reported one.
    public let total: Int64?
    /// Bytes that were already on disk from an earlier, interrupted download.
    public let resumedFrom: Int64
    /// Set on the last event of a file, after its checksum was verified.
    public let finished: Bool
}
