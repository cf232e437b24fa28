import CLIPDigest
import Foundation

/// SHA-256 of bytes, as lowercase hex: fixtures store hashes of reference arrays rather than the
/// arrays themselves.
public func sha256Hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    hex(.sha256, bytes)
}

/// SHA-1 of bytes, as lowercase hex.
public func sha1Hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    hex(.sha1, bytes)
}

/// The id git (and the Hub's ETag) gives a file's contents: SHA-1 of "blob <size>\0" + contents.
public func gitBlobID<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    sha1Hex(Array("blob \(bytes.count)\0".utf8) + Array(bytes))
}

private func hex<C: Collection>(_ algorithm: StreamingDigest.Algorithm, _ bytes: C) -> String where C.Element == UInt8 {
    var digest = StreamingDigest(algorithm)
    digest.update(Data(bytes))
    return digest.finalizeHex()
}
