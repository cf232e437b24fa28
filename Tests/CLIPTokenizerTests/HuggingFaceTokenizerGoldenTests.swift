@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

/// One line of Fixtures/tokenizer_json/golden.jsonl.gz, made by Scripts/make_tokenizer_json_fixtures.py
/// with the `tokenizers` library.
struct TokenizerJSONGoldenRow: Decodable, Sendable {
    let tokenizer: String
    let text: String
    let ids: [Int]
    let plain: [Int]
    let length: Int
    let padID: Int
    let fixed: [Int]

    enum CodingKeys: String, CodingKey {
        case tokenizer, text, ids, plain, length, fixed
        case padID = "pad_id"
    }

    static func load() throws -> [TokenizerJSONGoldenRow] {
        let url = TokenizerJSONFixtures.folder.appendingPathComponent("golden.jsonl.gz")
        let data = try Gzip.decompress(Data(contentsOf: url), path: url.path)
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(TokenizerJSONGoldenRow.self, from: Data($0.utf8))
        }
    }
}

enum TokenizerJSONFixtures {
    static let folder = ReferenceData.fixturesDirectory().appendingPathComponent("tokenizer_json")
    static let kinds = ["wordpiece", "unigram_xlmr", "unigram_t5", "bpe_gemma"]

    static func tokenizer(_ kind: String) throws -> HuggingFaceTokenizer {
        try HuggingFaceTokenizer(contentsOf: folder.appendingPathComponent(kind).appendingPathComponent("tokenizer.json").path)
    }
}

@Suite("tokenizer.json tokenizers match the tokenizers library")
struct HuggingFaceTokenizerGoldenTests {
    @Test("every golden text gets the reference ids, with and without special tokens, truncated and padded",
          arguments: TokenizerJSONFixtures.kinds)
    func golden(kind: String) throws {
        let tokenizer = try TokenizerJSONFixtures.tokenizer(kind)
        let rows = try TokenizerJSONGoldenRow.load().filter { $0.tokenizer == kind }
        #expect(rows.count >= 100)
        var failures: [String] = []
        for row in rows {
            let ids = try tokenizer.encode(row.text)
            let plain = try tokenizer.encode(row.text, addingSpecialTokens: false)
            let fixed = try tokenizer.encode(row.text, length: row.length, padding: row.padID)
            if ids != row.ids { failures.append("\(row.text.debugDescription): \(ids) vs \(row.ids)") }
            if plain != row.plain { failures.append("plain \(row.text.debugDescription): \(plain) vs \(row.plain)") }
            if fixed != row.fixed { failures.append("fixed \(row.text.debugDescription): \(fixed) vs \(row.fixed)") }
        }
        #expect(failures.isEmpty, "\(failures.count) differ, e.g. \(failures.prefix(4))")
    }

    @Test("the golden corpus truncates long texts and pads short ones")
    func corpusCoversTruncationAndPadding() throws {
        let rows = try TokenizerJSONGoldenRow.load()
        for kind in TokenizerJSONFixtures.kinds {
            let own = rows.filter { $0.tokenizer == kind }
            #expect(own.contains { $0.ids.count > $0.length }, "\(kind) has no truncated text")
            #expect(own.contains { $0.ids.count < $0.length }, "\(kind) has no padded text")
        }
    }
}

@Suite("Other tokenizer files match their libraries")
struct TokenizerFileGoldenTests {
    struct SentencePieceRow: Decodable { let text: String; let ids: [Int] }

    @Test("a SentencePiece .model encodes every golden text as the sentencepiece library does")
    func sentencePieceModel() throws {
        let tokenizer = try SentencePieceTokenizer(
            contentsOf: TokenizerJSONFixtures.folder.appendingPathComponent("unigram_t5/spiece.model").path)
        let url = TokenizerJSONFixtures.folder.appendingPathComponent("spiece_golden.jsonl.gz")
        let rows = try String(decoding: Gzip.decompress(Data(contentsOf: url), path: url.path), as: UTF8.self)
            .split(separator: "\n").map { try JSONDecoder().decode(SentencePieceRow.self, from: Data($0.utf8)) }
        #expect(rows.count >= 100)
        var failures: [String] = []
        for row in rows {
            let ids = try tokenizer.encode(row.text)
            if ids != row.ids { failures.append("\(row.text.debugDescription): \(ids) vs \(row.ids)") }
        }
        #expect(failures.isEmpty, "\(failures.count) differ, e.g. \(failures.prefix(4))")
        #expect(tokenizer.id(of: "</s>") == 1)
    }

    @Test("BERT's vocab.txt gives the ids of the tokenizer.json built from it")
    func bertVocabulary() throws {
        let tokenizer = try HuggingFaceTokenizer(
            bertVocabulary: TokenizerJSONFixtures.folder.appendingPathComponent("wordpiece/vocab.txt").path)
        let rows = try TokenizerJSONGoldenRow.load().filter { $0.tokenizer == "wordpiece" }
        var failures: [String] = []
        for row in rows {
            let fixed = try tokenizer.encode(row.text, length: row.length)
            if try tokenizer.encode(row.text) != row.ids || fixed != row.fixed { failures.append(row.text.debugDescription) }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(rows.count) differ, e.g. \(failures.prefix(4))")
    }
}
