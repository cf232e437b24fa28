import Foundation

/// Errors from resolving, downloading and caching Hub files. Each names the repository, file or URL.
public enum HubError: Error, Equatable, CustomStringConvertible {
    /// The text is neither an existing path, a Hub repository id nor a known `ARCH:TAG`.
    case invalidReference(String, reason: String)
    /// `ARCH:TAG` is not in the built-in table.
    case unknownPretrainedTag(String, known: [String])
    /// The Hub has no such repository, or it is private and no valid token was sent.
    case repositoryNotFound(repository: String, endpoint: String, hasToken: Bool)
    /// The repository exists but this revision (branch, tag or commit) does not.
    case revisionNotFound(repository: String, revision: String)
    /// The repository is gated or needs a token this request did not have (401 / 403).
    case unauthorized(repository: String, status: Int, hasToken: Bool)
    /// The repository has none of the files a CLIP model needs.
    case notAModelRepository(repository: String, revision: String, reason: String)
    /// A file the model needs is missing from the repository.
    case fileNotFound(repository: String, revision: String, file: String)
    /// The server answered with an unexpected status.
    case httpStatus(url: String, status: Int, message: String)
    /// The connection failed (after retries, where a transfer had started).
    case network(url: String, reason: String)
    /// The downloaded bytes do not match the size or the checksum the Hub reported.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// Offline (`HF_HUB_OFFLINE`, or the Hub unreachable) and the cache does not have what is needed.
    case notCached(repository: String, revision: String, file: String?, cache: String, offline: Bool)
    /// Reading or writing the cache failed.
    case cache(path: String, reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .invalidReference(text, reason):
            return "'\(text)' is not a model: \(reason)"
        case let .unknownPretrainedTag(tag, known):
            let list = known.isEmpty ? "none for this architecture" : known.joined(separator: ", ")
            return "unknown pretrained tag '\(tag)'; known: \(list)"
        case let .repositoryNotFound(repository, endpoint, hasToken):
            return "\(endpoint)/\(repository): repository not found" + (hasToken ? "" : " (if it is private or gated, set HF_TOKEN)")
        case let .revisionNotFound(repository, revision):
            return "\(repository): no revision '\(revision)'"
        case let .unauthorized(repository, status, hasToken):
            return "\(repository): access refused (HTTP \(status)); " + (hasToken ? "the token in HF_TOKEN is not allowed to read it (gated? accept its terms on the Hub)" : "set HF_TOKEN to a token that can read it")
        case let .notAModelRepository(repository, revision, reason):
            return "\(repository)@\(revision): not a CLIP model repository: \(reason)"
        case let .fileNotFound(repository, revision, file):
            return "\(repository)@\(revision): no file '\(file)'"
        case let .httpStatus(url, status, message):
            return "\(url): HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        case let .network(url, reason):
            return "\(url): \(reason)"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): downloaded content does not match the Hub's checksum (expected \(expected), got \(actual)); the partial file was removed"
        case let .notCached(repository, revision, file, cache, offline):
            let what = file.map { "'\($0)' of \(repository)@\(revision)" } ?? "\(repository)@\(revision)"
            return "\(what) is not in the cache at \(cache)" + (offline
                ? " and HF_HUB_OFFLINE is set; run `clip download \(repository)` while online"
                : " and the Hub cannot be reached")
        case let .cache(path, reason):
            return "\(path): \(reason)"
        }
    }
}
