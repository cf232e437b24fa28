@testable import CLIPTokenizer
import Testing

@Suite("Tokenizer basics")
struct TokenizerBasicsTests {
    @Test("a caption tokenizes to the well-known ids")
    func knownIDs() throws {
        let tokenizer = try CLIPTokenizer()
        let ids = tokenizer.tokenize("a photo of a cat")
        #expect(Array(ids.prefix(7)) == [49406, 320, 1125, 539, 320, 2368, 49407])
        #expect(ids.count == 77 && ids.dropFirst(7).allSatisfy { $0 == 0 })
    }

    @Test("truncation keeps the end token last")
    func truncation() throws {
        let tokenizer = try CLIPTokenizer()
        let ids = tokenizer.tokenize(String(repeating: "word ", count: 200))
        #expect(ids.count == 77 && ids.first == 49406 && ids.last == 49407)
        #expect(tokenizer.tokenize("a b c d e f", contextLength: 4) == [49406, 320, 321, 49407])
    }

    @Test("the vocabulary has the reference size and special ids")
    func vocabulary() throws {
        let vocabulary = try BPEVocabulary.bundled()
        #expect(vocabulary.count == 49_408)
        #expect(vocabulary.startID == 49406 && vocabulary.endID == 49407 && vocabulary.padID == 0)
    }

    @Test("a context length below two or above the limit is refused")
    func badContextLength() throws {
        #expect(throws: TokenizerError.invalidContextLength(1)) { try CLIPTokenizer(contextLength: 1) }
        // The upper limit: a huge context would allocate that many ids per text (an abort).
        #expect(throws: TokenizerError.invalidContextLength(1 << 40)) { try CLIPTokenizer(contextLength: 1 << 40) }
        #expect(try CLIPTokenizer(contextLength: CLIPTokenizer.maximumContextLength).contextLength == CLIPTokenizer.maximumContextLength)
    }

    @Test("unknown ids are refused by decode")
    func decodeUnknown() throws {
        #expect(throws: TokenizerError.unknownTokenID(49_408)) { try CLIPTokenizer().decode([49_408]) }
    }
}
