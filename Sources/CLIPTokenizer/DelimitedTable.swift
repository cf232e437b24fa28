import Foundation

/// A TSV or CSV file with a header row, read as pandas' `read_csv` reads open_clip's datasets:
/// fields may be quoted with `"` (a doubled `""` is a quote inside; quoted fields may span lines).
/// The separator is a tab for `.tsv`, else a comma, unless given.
public struct DelimitedTable: Sendable {
    /// The file.
    public let path: String
    /// The header's column names, trimmed.
    public let columns: [String]
    /// Rows with the 1-based line each starts on (for error messages).
    public let rows: [(line: Int, fields: [String])]

    /// Reads the UTF-8 table at `path`; `separator` overrides the one its extension implies.
    public init(path: String, separator: Character? = nil) throws {
        self.path = path
        let text = try TextInput.readUTF8File(path)
        let delimiter = separator ?? (path.lowercased().hasSuffix(".tsv") ? "\t" : ",")
        var parsed = try Self.parse(text, delimiter: delimiter, path: path)
        guard !parsed.isEmpty else { throw TableError.empty(path: path) }
        let header = parsed.removeFirst()
        columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for row in parsed where row.fields.count != columns.count {
            throw TableError.malformed(path: path, line: row.line,
                                                 reason: "\(row.fields.count) fields, the header has \(columns.count)")
        }
        rows = parsed
    }

    /// The index of `name`, or a `missingColumn` error.
    public func column(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw TableError.missingColumn(path: path, column: name, found: columns)
        }
        return index
    }

    static func parse(_ text: String, delimiter: Character, path: String) throws -> [(line: Int, fields: [String])] {
        var rows: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1, rowStart = 1
        var atFieldStart = true
        var iterator = Array(text.unicodeScalars.map(Character.init)).makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let value = pending { pending = nil; return value }
            return iterator.next()
        }
        func endRow() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append((rowStart, fields)) }
            fields = []
            field = ""
            atFieldStart = true
        }
        while let character = next() {
            if inQuotes {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" { field.append("\"") } else { inQuotes = false; pending = following }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character == "\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where atFieldStart:
                inQuotes = true
                atFieldStart = false
            case delimiter:
                fields.append(field)
                field = ""
                atFieldStart = true
            case "\n", "\r\n":
                endRow()
                line += 1
                rowStart = line
            case "\r":
                continue
            default:
                field.append(character)
                atFieldStart = false
            }
        }
        if inQuotes { throw TableError.malformed(path: path, line: rowStart, reason: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}

/// Errors reading a `DelimitedTable`, naming the file and, where there is one, the line.
public enum TableError: Error, Equatable, CustomStringConvertible {
    case empty(path: String)
    case malformed(path: String, line: Int, reason: String)
    case missingColumn(path: String, column: String, found: [String])

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .empty(path): return "\(path): no header row"
        case let .malformed(path, line, reason): return "\(path):\(line): \(reason)"
        case let .missingColumn(path, column, found):
            return "\(path): no column '\(column)' (columns: \(found.joined(separator: ", ")))"
        }
    }
}
