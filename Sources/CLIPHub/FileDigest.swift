import CLIPDigest
import CLIPFileSystem
import Foundation

/// Checksums the Hub reports for files: SHA-256 of the content for files stored with Git LFS, and
/// the git blob id (SHA-1 of "blob <size>\0" + content) for the others.
enum FileDigest {
    enum Kind { case sha256, gitBlobSHA1 }

    /// The kind of checksum an ETag is: 64 hex digits are SHA-256, 40 are a git blob id.
    static func kind(ofETag etag: String) -> Kind? {
        guard etag.allSatisfy(\.isHexDigit) else { return nil }
        switch etag.count {
        case 64: return .sha256
        case 40: return .gitBlobSHA1
        default: return nil
        }
    }

    /// The checksum of `file` as lowercase hex.
    static func hex(of file: URL, kind: Kind) throws -> String {
        do {
            switch kind {
            case .sha256:
                return try StreamingDigest.fileHex(file, algorithm: .sha256)
            case .gitBlobSHA1:
                let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
                return try StreamingDigest.fileHex(file, algorithm: .sha1, prefix: Data("blob \(size)\0".utf8))
            }
        } catch {
            throw HubError.cache(path: file.path, reason: "cannot read to verify: \(FailureReason.of(error))")
        }
    }
}
