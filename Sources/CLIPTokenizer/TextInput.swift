import CLIPFileSystem
import Foundation

/// Reading text from bytes.
///
/// Policy for invalid UTF-8: files and requests are refused with `TokenizerError.invalidUTF8`, which
/// names the source and the offset of the first bad byte. Nothing is silently replaced, so a
/// corrupt caption file never trains or indexes garbage. (Python's default `open()` would raise a
/// `UnicodeDecodeError` for the same bytes.)
public enum TextInput {
    /// The text of `data`, which must be valid UTF-8; a leading byte-order mark is kept, as Python
    /// keeps it with the "utf-8" codec.
    public static func decodeUTF8(_ data: Data, source: String) throws -> String {
        if let text = String(validating: data, as: UTF8.self) { return text }
        throw TokenizerError.invalidUTF8(path: source, offset: firstInvalidOffset(data))
    }

    /// The offset of the first byte that starts an invalid UTF-8 sequence.
    static func firstInvalidOffset(_ data: Data) -> Int {
        let bytes = [UInt8](data)
        var offset = 0
        while offset < bytes.count {
            let lead = bytes[offset]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return offset
            }
            guard offset + length <= bytes.count,
                  ByteCodecs.decodeUTF8(bytes[offset..<(offset + length)]) != nil else { return offset }
            offset += length
        }
        return offset
    }

    /// The lines of `text` (split at "\n", a trailing "\r" removed), without the empty line after a
    /// final newline.
    public static func lines(of text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The bytes of the file at `path`, refused (before reading) when larger than `limit`;
    /// `description` ("a tokenizer.json") names the kind of file in that message.
    public static func readFile(_ path: String, limit: Int, describing description: String) throws -> Data {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > limit {
            throw TokenizerError.unreadableFile(path: path, reason: "\(size) bytes exceed the limit of \(limit) for \(description)")
        }
        do { return try UserFile.read(path) } catch { throw TokenizerError.unreadableFile(path: path, reason: error.reason) }
    }

    /// The text of the file at `path`, which must be valid UTF-8.
    public static func readUTF8File(_ path: String) throws -> String {
        let data: Data
        do { data = try UserFile.read(path) } catch { throw TokenizerError.unreadableFile(path: path, reason: error.reason) }
        return try decodeUTF8(data, source: path)
    }

    /// The paths listed one per line in the file at `path` (blank lines skipped); relative ones
    /// resolve against the list's folder.
    public static func paths(listedIn path: String) throws -> [String] {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try lines(of: readUTF8File(path)).filter { !$0.isEmpty }.map {
            $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).path
        }
    }
}
