@testable import CLIPTokenizer
import Foundation
import Testing

@Suite("Malformed tokenizer files are refused with the field at fault")
struct MalformedTokenizerFileTests {
    static let wordPieceModel = #"{"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}"#

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let json: String
        let field: String
        let reason: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown model type", json: #"{"model": {"type": "Magic", "vocab": {}}}"#,
             field: "model.type", reason: "unsupported model type \"Magic\""),
        Case(name: "missing model", json: #"{"normalizer": null}"#, field: "model", reason: "missing"),
        Case(name: "missing vocab", json: #"{"model": {"type": "WordPiece", "unk_token": "[UNK]"}}"#,
             field: "model.vocab", reason: "missing"),
        Case(name: "empty vocab", json: #"{"model": {"type": "BPE", "vocab": {}, "merges": []}}"#,
             field: "model.vocab", reason: "the vocabulary is empty"),
        Case(name: "a vocab id that is not an integer", json: #"{"model": {"type": "WordPiece", "vocab": {"a": 1.5}}}"#,
             field: "model.vocab.a", reason: "1.5 is not an integer in 0…2147483647"),
        Case(name: "a merge with three parts", json: #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b c"]}}"#,
             field: "model.merges[0]", reason: "expected two tokens separated by one space, got \"a b c\""),
        Case(name: "a merge of an unknown token", json: #"{"model": {"type": "BPE", "vocab": {"a": 0, "ab": 2}, "merges": [["a", "b"]]}}"#,
             field: "model.merges[0]", reason: "merge token \"b\" is not in the vocabulary"),
        Case(name: "a merge whose result is missing", json: #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#,
             field: "model.merges[0]", reason: "the merged token \"ab\" is not in the vocabulary"),
        Case(name: "a Unigram entry without a score", json: #"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["a"]]}}"#,
             field: "model.vocab[1]", reason: "expected [token, score]"),
        Case(name: "an unk_id outside the vocabulary", json: #"{"model": {"type": "Unigram", "unk_id": 5, "vocab": [["<unk>", 0]]}}"#,
             field: "model.unk_id", reason: "5 is outside the vocabulary of 1"),
        Case(name: "an unknown normalizer", json: #"{"model": \#(wordPieceModel), "normalizer": {"type": "Shout"}}"#,
             field: "normalizer.type", reason: "unsupported normalizer type \"Shout\""),
        Case(name: "a nested unknown pre-tokenizer",
             json: #"{"model": \#(wordPieceModel), "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Zigzag"}]}}"#,
             field: "pre_tokenizer.pretokenizers[1].type", reason: "unsupported pre_tokenizer type \"Zigzag\""),
        Case(name: "a Precompiled charsmap that is not base64",
             json: #"{"model": \#(wordPieceModel), "normalizer": {"type": "Precompiled", "precompiled_charsmap": "@@@"}}"#,
             field: "normalizer.precompiled_charsmap", reason: "not valid base64"),
        Case(name: "a Precompiled charsmap shorter than its trie",
             json: #"{"model": \#(wordPieceModel), "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAEAAAAA"}}"#,
             field: "normalizer.precompiled_charsmap", reason: "declares a 256-byte trie but holds 2 bytes"),
        Case(name: "a template naming an undeclared special token",
             json: #"{"model": \#(wordPieceModel), "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {}}}"#,
             field: "post_processor.single[0].SpecialToken.id", reason: "special token \"[CLS]\" is not in special_tokens"),
        Case(name: "a Metaspace replacement of two characters",
             json: #"{"model": \#(wordPieceModel), "pre_tokenizer": {"type": "Metaspace", "replacement": "__"}}"#,
             field: "pre_tokenizer.replacement", reason: "expected one character, got \"__\""),
        Case(name: "BPE dropout", json: #"{"model": {"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []}}"#,
             field: "model.dropout", reason: "BPE dropout makes tokenization random; only null or 0 is supported"),
        Case(name: "not JSON", json: #"{"model": {"type": "BPE",, }"#, field: "byte 25", reason: "expected a member name"),
        Case(name: "a lone surrogate", json: #"{"model": "\ud800"}"#, field: "byte 17", reason: "lone leading surrogate"),
        Case(name: "a document that is not an object", json: "[1, 2]", field: "$", reason: "expected an object"),
    ]

    @Test("each malformed tokenizer.json names the field and the problem", arguments: cases)
    func malformed(_ testCase: Case) {
        #expect(throws: TokenizerError.invalidTokenizerFile(path: "tokenizer.json", field: testCase.field, reason: testCase.reason)) {
            _ = try HuggingFaceTokenizer(data: Data(testCase.json.utf8), source: "tokenizer.json")
        }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func deepNesting() {
        let json = String(repeating: "[", count: 100_000)
        #expect(throws: TokenizerError.invalidTokenizerFile(path: "t.json", field: "byte 256", reason: "nested deeper than 256 levels")) {
            _ = try HuggingFaceTokenizer(data: Data(json.utf8), source: "t.json")
        }
    }

    @Test("a WordPiece vocabulary without its unknown token fails at encoding, not at loading")
    func missingUnknownToken() throws {
        let tokenizer = try HuggingFaceTokenizer(data: Data(#"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"a": 0}}}"#.utf8),
                                                 source: "t.json")
        #expect(try tokenizer.encode("a", addingSpecialTokens: false) == [0])
        #expect(throws: TokenizerError.unencodableText(reason: "the WordPiece vocabulary lacks its unknown token [UNK]")) {
            _ = try tokenizer.encode("b")
        }
    }

    @Test("truncated and hostile SentencePiece models are refused with the field at fault")
    func malformedSentencePiece() throws {
        let url = TokenizerJSONFixtures.folder.appendingPathComponent("unigram_t5/spiece.model")
        let model = try Data(contentsOf: url)
        #expect(throws: TokenizerError.self) { _ = try SentencePieceTokenizer(data: model.prefix(model.count / 2), source: "s.model") }
        // One piece of type 9, which SentencePiece does not define.
        let piece = Data([0x0A, 0x05, 0x0A, 0x01, 0x61, 0x18, 0x09])
        #expect(throws: TokenizerError.invalidTokenizerFile(path: "s.model", field: "pieces[0].type", reason: "unknown piece type")) {
            _ = try SentencePieceTokenizer(data: piece, source: "s.model")
        }
        // A length prefix far past the end.
        #expect(throws: TokenizerError.invalidTokenizerFile(path: "s.model", field: "byte 3",
                                                            reason: "not a SentencePiece model: a 16383-byte field runs past the end")) {
            _ = try SentencePieceTokenizer(data: Data([0x0A, 0xFF, 0x7F, 0x00]), source: "s.model")
        }
        // A normal piece but no unknown piece.
        #expect(throws: TokenizerError.invalidTokenizerFile(path: "s.model", field: "pieces", reason: "no piece has type UNKNOWN")) {
            _ = try SentencePieceTokenizer(data: Data([0x0A, 0x03, 0x0A, 0x01, 0x61]), source: "s.model")
        }
    }
}
