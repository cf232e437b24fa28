import Foundation

/// The data behind `TextFixer` and `HTMLUnescaper`, exported from ftfy and CPython by
/// `Scripts/make_ftfy_tables.py` into the bundled `ftfy_tables.json`.
final class FixTextTables: Sendable {
    /// One element of a mojibake pattern: a character class, optionally repeated.
    struct PatternItem: Sendable {
        enum Kind: Sendable {
            case characters(ScalarSet, negated: Bool, space: Bool, word: Bool)
            case anyButNewline
            case startOfText
        }
        let kind: Kind
        let minimum: Int
        let maximum: Int
    }

    /// Single-byte codecs that ftfy tries, in its order: byte → code point (nil: undefined).
    let charmapEncodings: [String]
    let decodeTables: [String: [Unicode.Scalar?]]
    let encodeTables: [String: [UInt32: UInt8]]
    /// Alternatives of ftfy's `BADNESS_RE`.
    let badness: [[PatternItem]]
    let utf8FirstOf2, utf8FirstOf3, utf8FirstOf4, utf8Continuation, utf8ContinuationStrict: ScalarSet
    /// ftfy's `HTML_ENTITIES` ("&name;" → text), with its upper-case variants.
    let ftfyEntities: [String: String]
    /// CPython's `html.entities.html5` (name with or without ";" → text).
    let html5Entities: [String: String]
    let invalidCharrefs: [UInt32: String]
    let invalidCodepoints: Set<UInt32>
    let ligatures: [UInt32: String]
    let widthMap: [UInt32: String]
    /// `str.isspace()` and the `re` module's `\s` and `\w` for str patterns.
    let pythonSpace, reSpace, reWord: ScalarSet
    /// The longest HTML5 entity name, for the prefix search of `html.unescape`.
    let longestEntityName: Int

    static let shared: FixTextTables? = try? FixTextTables()

    static func load() throws -> FixTextTables {
        if let shared { return shared }
        return try FixTextTables()
    }

    private init() throws {
        guard let url = Bundle.module.url(forResource: "ftfy_tables", withExtension: "json") else {
            throw TokenizerError.missingResource(name: "ftfy_tables.json")
        }
        let data = try Data(contentsOf: url)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError.invalidVocabulary(path: url.path, reason: "not a JSON object")
        }
        func strings(_ key: String) -> [String: String] { root[key] as? [String: String] ?? [:] }
        func scalarKeyed(_ key: String) -> [UInt32: String] {
            Dictionary(uniqueKeysWithValues: strings(key).compactMap { k, v in UInt32(k).map { ($0, v) } })
        }

        charmapEncodings = root["charmap_encodings"] as? [String] ?? []
        var decodeTables: [String: [Unicode.Scalar?]] = [:]
        var encodeTables: [String: [UInt32: UInt8]] = [:]
        for (name, values) in root["charmaps"] as? [String: [Int]] ?? [:] {
            let table = values.map { $0 < 0 ? nil : Unicode.Scalar(UInt32($0)) }
            decodeTables[name] = table
            var inverse: [UInt32: UInt8] = [:]
            for (byte, scalar) in table.enumerated() {
                if let scalar, inverse[scalar.value] == nil { inverse[scalar.value] = UInt8(byte) }
            }
            encodeTables[name] = inverse
        }
        self.decodeTables = decodeTables
        self.encodeTables = encodeTables

        badness = (root["badness"] as? [[[String: Any]]] ?? []).map { $0.map(Self.patternItem) }
        let clues = root["utf8_clues"] as? [String: Any] ?? [:]
        utf8FirstOf2 = ScalarSet(json: clues["utf8_first_of_2"])
        utf8FirstOf3 = ScalarSet(json: clues["utf8_first_of_3"])
        utf8FirstOf4 = ScalarSet(json: clues["utf8_first_of_4"])
        utf8Continuation = ScalarSet(json: clues["utf8_continuation"])
        utf8ContinuationStrict = ScalarSet(json: clues["utf8_continuation_strict"])

        ftfyEntities = strings("ftfy_html_entities")
        html5Entities = strings("html5_entities")
        invalidCharrefs = scalarKeyed("invalid_charrefs")
        invalidCodepoints = Set((root["invalid_codepoints"] as? [Int] ?? []).map { UInt32($0) })
        ligatures = scalarKeyed("ligatures")
        widthMap = scalarKeyed("width_map")
        pythonSpace = ScalarSet(json: root["python_space"])
        reSpace = ScalarSet(json: root["re_space"])
        reWord = ScalarSet(json: root["re_word"])
        longestEntityName = html5Entities.keys.map { $0.unicodeScalars.count }.max() ?? 0

        guard !charmapEncodings.isEmpty, !badness.isEmpty, !html5Entities.isEmpty else {
            throw TokenizerError.invalidVocabulary(path: url.path, reason: "tables are incomplete")
        }
    }

    private static func patternItem(_ json: [String: Any]) -> PatternItem {
        let minimum = json["min"] as? Int ?? 1
        let maximum = json["max"] as? Int ?? 1
        if json["any"] as? Bool == true { return PatternItem(kind: .anyButNewline, minimum: minimum, maximum: maximum) }
        if json["start"] as? Bool == true { return PatternItem(kind: .startOfText, minimum: 1, maximum: 1) }
        let categories = json["categories"] as? [String] ?? []
        return PatternItem(kind: .characters(ScalarSet(json: json["set"]), negated: json["negate"] as? Bool ?? false,
                                             space: categories.contains("CATEGORY_SPACE"),
                                             word: categories.contains("CATEGORY_WORD")),
                           minimum: minimum, maximum: maximum)
    }
}
