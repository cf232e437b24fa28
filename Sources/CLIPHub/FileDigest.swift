import Foundation
#if canImport(CryptoKit)
import CryptoKit
#else
import CCrypto
#endif

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

    /// The checksum of `file` as lowercase hex, read in 8 MiB pieces.
    static func hex(of file: URL, kind: Kind) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw HubError.cache(path: file.path, reason: "cannot open to verify")
        }
        defer { try? handle.close() }
        var hasher = Hasher(kind)
        if kind == .gitBlobSHA1 {
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
            hasher.update(Data("blob \(size)\0".utf8))
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 8 << 20) ?? Data() } catch {
                throw HubError.cache(path: file.path, reason: "cannot read to verify: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            hasher.update(chunk)
        }
        return hasher.finalizeHex()
    }

    /// An incremental hash over CryptoKit on Apple systems and libcrypto elsewhere.
    private struct Hasher {
        #if canImport(CryptoKit)
        private var sha256: SHA256?
        private var sha1: Insecure.SHA1?
        init(_ kind: Kind) {
            if kind == .sha256 { sha256 = SHA256() } else { sha1 = Insecure.SHA1() }
        }
        mutating func update(_ data: Data) {
            sha256?.update(data: data)
            sha1?.update(data: data)
        }
        func finalizeHex() -> String {
            let bytes: [UInt8] = sha256.map { Array($0.finalize()) } ?? Array(sha1!.finalize())
            return bytes.map { String(format: "%02x", $0) }.joined()
        }
        #else
        private let context: OpaquePointer
        init(_ kind: Kind) {
            context = EVP_MD_CTX_new()
            EVP_DigestInit_ex(context, kind == .sha256 ? EVP_sha256() : EVP_sha1(), nil)
        }
        mutating func update(_ data: Data) {
            data.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        func finalizeHex() -> String {
            var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            EVP_DigestFinal_ex(context, &digest, &length)
            EVP_MD_CTX_free(context)
            return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
        }
        #endif
    }
}
