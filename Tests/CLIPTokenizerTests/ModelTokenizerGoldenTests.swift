@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

/// One line of Fixtures/tokenizer_json/model_golden.jsonl.gz: what a model's own tokenizer class
/// (transformers' SiglipTokenizer and BertTokenizer, open_clip's HFTokenizer) makes of a text.
struct ModelTokenizerGoldenRow: Decodable, Sendable {
    let tokenizer: String
    let text: String
    let length: Int
    let ids: [Int]

    static func load() throws -> [ModelTokenizerGoldenRow] {
        let url = TokenizerJSONFixtures.folder.appendingPathComponent("model_golden.jsonl.gz")
        return try String(decoding: Gzip.decompress(Data(contentsOf: url), path: url.path), as: UTF8.self)
            .split(separator: "\n").map { try JSONDecoder().decode(ModelTokenizerGoldenRow.self, from: Data($0.utf8)) }
    }
}

@Suite("Model tokenizers match the models' reference tokenizer classes")
struct ModelTokenizerGoldenTests {
    static func make(_ name: String, length: Int) throws -> any TextTokenizer {
        let folder = TokenizerJSONFixtures.folder
        switch name {
        case "siglip":
            let model = try SentencePieceTokenizer(contentsOf: folder.appendingPathComponent("unigram_t5/spiece.model").path)
            return try SigLIPTokenizer(model: model, contextLength: length)
        case "open_clip_canonicalize", "open_clip_whitespace":
            let directory = folder.appendingPathComponent("unigram_t5").path
            let tokenizer = try HuggingFaceTokenizer(contentsOf: directory + "/tokenizer.json")
            let padID = try #require(PaddedTokenizer.declaredPadID(directory: directory, tokenizer: tokenizer))
            return try PaddedTokenizer(tokenizer: tokenizer, contextLength: length, padID: padID,
                                       cleaning: name.hasSuffix("canonicalize") ? .canonicalize : .whitespace)
        default:
            let tokenizer = try HuggingFaceTokenizer(bertVocabulary: folder.appendingPathComponent("wordpiece/vocab.txt").path)
            return try PaddedTokenizer(tokenizer: tokenizer, contextLength: length, padID: try #require(tokenizer.paddingID))
        }
    }

    @Test("every golden text gets the reference ids",
          arguments: ["siglip", "open_clip_canonicalize", "open_clip_whitespace", "bert"])
    func golden(_ name: String) throws {
        let rows = try ModelTokenizerGoldenRow.load().filter { $0.tokenizer == name }
        #expect(rows.count >= 100)
        let tokenizer = try Self.make(name, length: rows[0].length)
        let rowsOut = try tokenizer.tokenize(rows.map(\.text))
        var failures: [String] = []
        for (row, ids) in zip(rows, rowsOut) where ids != row.ids {
            failures.append("\(row.text.debugDescription): \(ids) vs \(row.ids)")
        }
        #expect(failures.isEmpty, "\(failures.count) of \(rows.count) differ, e.g. \(failures.prefix(3))")
    }
}
