import Foundation
#if canImport(CryptoKit)
import CryptoKit
#else
import CCrypto
#endif

/// An incremental SHA-256 or SHA-1, on CryptoKit on Apple systems and libcrypto elsewhere.
///
/// ```swift
/// var digest = StreamingDigest(.sha256)
/// digest.update(data)
/// let hex = digest.finalizeHex()
/// ```
public struct StreamingDigest {
    /// The hash functions the Hub's checksums use.
    public enum Algorithm: Sendable { case sha256, sha1 }

    #if canImport(CryptoKit)
    private var sha256: SHA256?
    private var sha1: Insecure.SHA1?

    /// A digest with no input yet.
    public init(_ algorithm: Algorithm) {
        if algorithm == .sha256 { sha256 = SHA256() } else { sha1 = Insecure.SHA1() }
    }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha256?.update(bufferPointer: bytes)
        sha1?.update(bufferPointer: bytes)
    }

    /// The digest as lowercase hex. Call once.
    public func finalizeHex() -> String {
        let bytes: [UInt8] = sha256.map { Array($0.finalize()) } ?? Array(sha1!.finalize())
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
    #else
    private let context: Context

    /// Owns the libcrypto context so that copies of the struct share it and it is freed once.
    private final class Context {
        let pointer: OpaquePointer
        init(_ algorithm: Algorithm) {
            pointer = EVP_MD_CTX_new()
            EVP_DigestInit_ex(pointer, algorithm == .sha256 ? EVP_sha256() : EVP_sha1(), nil)
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }

    /// A digest with no input yet.
    public init(_ algorithm: Algorithm) {
        context = Context(algorithm)
    }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        _ = EVP_DigestUpdate(context.pointer, bytes.baseAddress, bytes.count)
    }

    /// The digest as lowercase hex. Call once.
    public func finalizeHex() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context.pointer, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
    #endif

    /// Feeds the bytes of `data`.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of `text`.
    public mutating func update(_ text: String) {
        update(Data(text.utf8))
    }

    /// The digest of `data`, as lowercase hex.
    public static func hex(of data: Data, algorithm: Algorithm = .sha256) -> String {
        var digest = StreamingDigest(algorithm)
        digest.update(data)
        return digest.finalizeHex()
    }

    /// The digest of a whole file, read in 8 MiB pieces.
    public static func fileHex(_ url: URL, algorithm: Algorithm, prefix: Data = Data()) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var digest = StreamingDigest(algorithm)
        digest.update(prefix)
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty {
            digest.update(chunk)
        }
        return digest.finalizeHex()
    }
}
