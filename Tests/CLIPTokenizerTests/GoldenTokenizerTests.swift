@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

/// One line of the golden file made by Scripts/make_tokenizer_golden.py from open_clip.
struct GoldenRow: Decodable, Sendable {
    let category: String
    let text: String
    let encode: [Int]?
    let context: [Int]?
    let contextLength: Int?
    let decode: String?
    let ids: [Int]?

    enum CodingKeys: String, CodingKey {
        case category, text, encode, context, decode, ids
        case contextLength = "context_length"
    }

    static func load(_ name: String) throws -> [GoldenRow] {
        let url = ReferenceData.fixturesDirectory().appendingPathComponent(name)
        let data = try Gzip.decompress(Data(contentsOf: url), path: url.path)
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(GoldenRow.self, from: Data($0.utf8))
        }
    }
}

@Suite("Tokenizer matches open_clip")
struct GoldenTokenizerTests {
    static let tokenizer = try! CLIPTokenizer()

    @Test("every golden text gets the reference ids")
    func goldenIDs() throws {
        let rows = try GoldenRow.load("tokenizer_golden.jsonl.gz")
        #expect(rows.filter { $0.contextLength == nil }.count >= 5_000)
        var mismatches: [String: [String]] = [:]
        for row in rows {
            let expectedContext = try #require(row.context)
            let length = row.contextLength ?? 77
            let context = Self.tokenizer.tokenize(row.text, contextLength: length)
            var ok = Array(context.prefix(expectedContext.count)) == expectedContext
                && context.dropFirst(expectedContext.count).allSatisfy { $0 == 0 }
            if let expected = row.encode { ok = ok && Self.tokenizer.encode(row.text) == expected }
            if !ok { mismatches[row.category, default: []].append(row.text) }
        }
        let report = mismatches.map { "\($0.key): \($0.value.count) e.g. \($0.value.prefix(3).map { $0.debugDescription })" }
        #expect(mismatches.isEmpty, "\(mismatches.values.map(\.count).reduce(0, +)) of \(rows.count) differ: \(report)")
    }

    @Test("decode equals the reference decode")
    func goldenDecode() throws {
        var failures: [String] = []
        var checked = 0
        for row in try GoldenRow.load("tokenizer_golden.jsonl.gz") {
            guard let expected = row.decode, let ids = row.encode else { continue }
            checked += 1
            let decoded = try Self.tokenizer.decode(ids)
            if decoded != expected { failures.append("\(row.text.debugDescription): \(decoded.debugDescription) vs \(expected.debugDescription)") }
        }
        #expect(checked > 500)
        #expect(failures.isEmpty, "\(failures.count) of \(checked) differ, e.g. \(failures.prefix(3))")
    }
}
