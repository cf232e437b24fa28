import Foundation

/// The keys of a JSON object as they are written, duplicates included: `JSONSerialization` keeps
/// only the last value of a repeated key, which would let a safetensors header name one tensor
/// twice and silently drop the first.
enum JSONObjectKeys {
    /// The top-level keys of `json`, a valid JSON object (as `JSONSerialization` accepted it),
    /// unescaped, in order of appearance.
    static func topLevel(of json: Data) -> [String] {
        var keys: [String] = []
        var depth = 0, inString = false, escaped = false, expectingKey = false
        var keyStart: Data.Index? = nil
        for index in json.indices {
            let byte = json[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if let start = keyStart {
                        keys.append(unescaped(json[start..<index]))
                        keyStart = nil
                    }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1, expectingKey { keyStart = json.index(after: index); expectingKey = false }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { expectingKey = true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 { expectingKey = true }
            default:
                break
            }
        }
        return keys
    }

    private static func unescaped(_ raw: Data) -> String {
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        let quoted = Data("\"".utf8) + raw + Data("\"".utf8)
        return (try? JSONSerialization.jsonObject(with: quoted, options: .fragmentsAllowed)) as? String
            ?? String(decoding: raw, as: UTF8.self)
    }
}
