import CLIPImage
import Foundation

/// webdataset shards: tar files whose members are grouped into samples by key (the member path up to
/// the first dot of its file name), each sample an image (`jpg`, `jpeg`, `png`, `webp`) and a caption
/// (`txt`, or `json` with a `caption` or `text` field). Patterns expand braces as webdataset does:
/// `shards-{000..009}.tar`, `{a,b}.tar`.
public enum WebDatasetShards {

    /// The samples of every shard matched by `pattern`, in shard and member order.
    public static func samples(_ pattern: String) throws -> [CaptionedImages.Sample] {
        let paths = try expandBraces(pattern)
        var samples: [CaptionedImages.Sample] = []
        for path in paths { samples += try Self.samples(inShard: path) }
        guard !samples.isEmpty else { throw TrainingError.invalidData(source: pattern, reason: "no image–caption samples in the shards") }
        return samples
    }

    /// `{000..009}` (zero-padded to the wider bound) and `{a,b,c}`, nested left to right.
    public static func expandBraces(_ pattern: String) throws -> [String] {
        guard let open = pattern.firstIndex(of: "{") else { return [pattern] }
        guard let close = pattern[open...].firstIndex(of: "}") else {
            throw TrainingError.invalidData(source: pattern, reason: "an unclosed { in the shard pattern")
        }
        let body = String(pattern[pattern.index(after: open)..<close])
        let head = String(pattern[..<open]), tail = String(pattern[pattern.index(after: close)...])
        var choices: [String]
        if let range = body.range(of: ".."), let low = Int(body[..<range.lowerBound]), let high = Int(body[range.upperBound...]) {
            guard low <= high, high - low < 1_000_000 else { throw TrainingError.invalidData(source: pattern, reason: "bad range {\(body)}") }
            let width = max(body[..<range.lowerBound].count, body[range.upperBound...].count)
            choices = (low...high).map { value in
                let digits = String(value)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
        } else {
            choices = body.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        return try choices.flatMap { try expandBraces(head + $0 + tail) }
    }

    /// Reads one ustar/GNU tar file's member table and pairs images with captions.
    static func samples(inShard path: String) throws -> [CaptionedImages.Sample] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw TrainingError.invalidData(source: path, reason: "cannot read the shard")
        }
        var images: [String: (extension: String, range: Range<Int>)] = [:]
        var captions: [String: String] = [:]
        var order: [String] = []
        var offset = 0
        var longName: String? = nil
        while offset + 512 <= data.count {
            let header = data[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }
            func field(_ start: Int, _ length: Int) -> String {
                let bytes = header[(offset + start)..<(offset + start + length)].prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            // An octal count of at most 11 digits: never negative, never past 8 GiB.
            let sizeField = field(124, 12).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            guard sizeField.count <= 11, sizeField.allSatisfy({ ("0"..."7").contains($0) }), let size = Int(sizeField, radix: 8) else {
                throw TrainingError.invalidData(source: path, reason: "damaged tar header at byte \(offset)")
            }
            let type = header[offset + 156]
            var name = field(0, 100)
            let prefix = field(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
            if let long = longName { name = long; longName = nil }
            let start = offset + 512
            guard start + size <= data.count else {
                throw TrainingError.invalidData(source: path, reason: "member \(name) runs past the end of the shard (truncated?)")
            }
            if type == UInt8(ascii: "L") {
                longName = String(decoding: data[start..<(start + size)].prefix { $0 != 0 }, as: UTF8.self)
            } else if type == 0 || type == UInt8(ascii: "0") {
                let slash = name.lastIndex(of: "/")
                let file = slash.map { String(name[name.index(after: $0)...]) } ?? name
                let directory = slash.map { String(name[..<$0]) } ?? ""
                if let dot = file.firstIndex(of: "."), !file.hasPrefix(".") {
                    let key = (directory.isEmpty ? "" : directory + "/") + file[..<dot]
                    let suffix = file[file.index(after: dot)...].lowercased()
                    if images[key] == nil && captions[key] == nil { order.append(key) }
                    if ImageDecoder.fileExtensions.contains(suffix) {
                        images[key] = (suffix, start..<(start + size))
                    } else if suffix == "txt" {
                        captions[key] = String(decoding: data[start..<(start + size)], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    } else if suffix == "json", captions[key] == nil,
                              let object = try? JSONSerialization.jsonObject(with: data[start..<(start + size)]) as? [String: Any],
                              let text = (object["caption"] ?? object["text"]) as? String {
                        captions[key] = text
                    }
                }
            }
            offset = start + (size + 511) / 512 * 512
        }
        return order.compactMap { key in
            guard let image = images[key], let caption = captions[key] else { return nil }
            return CaptionedImages.Sample(imagePath: path, caption: caption, byteRange: image.range, member: "\(key).\(image.extension)")
        }
    }
}
