import CZlib
import Foundation

/// gzip (and zlib) decompression through zlib.
enum Gzip {
    /// The most bytes a compressed vocabulary may expand to (OpenAI's is 1.4 MB; a multilingual
    /// one tens of MB): a small hostile file could otherwise expand to gigabytes.
    static let maximumDecompressedBytes = 1 << 28

    /// The decompressed contents of `data`, at most `limit` bytes; `path` names the source in errors.
    static func decompress(_ data: Data, path: String, limit: Int = maximumDecompressedBytes) throws -> Data {
        guard data.count <= Int(UInt32.max) else {
            throw TokenizerError.invalidGzip(path: path, reason: "\(data.count) compressed bytes, more than zlib takes at once")
        }
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TokenizerError.invalidGzip(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            var status = Z_OK
            repeat {
                try buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                        throw TokenizerError.invalidGzip(path: path, reason: message)
                    }
                    output.append(out.baseAddress!, count: chunk - Int(stream.avail_out))
                }
                guard output.count <= limit else {
                    throw TokenizerError.invalidGzip(path: path, reason: "decompresses to more than \(limit) bytes (the limit)")
                }
                if status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw TokenizerError.invalidGzip(path: path, reason: "truncated stream")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Whether `data` starts with the gzip magic bytes.
    static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }
}
