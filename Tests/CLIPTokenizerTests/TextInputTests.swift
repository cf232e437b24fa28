@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

@Suite("Reading text and vocabulary files")
struct TextInputTests {
    @Test("invalid UTF-8 is refused with the offset of the first bad byte", arguments: [
        ([0x61, 0x62, 0xFF, 0x63], 2),
        ([0xC3], 0),
        ([0x61, 0xE2, 0x82], 1),
        ([0xED, 0xA0, 0x80], 0),          // a surrogate
        ([0xC0, 0x80], 0),                // overlong NUL
        ([0x61, 0xF4, 0x90, 0x80, 0x80], 1),
    ])
    func invalidUTF8(_ bytes: [UInt8], _ offset: Int) {
        #expect(throws: TokenizerError.invalidUTF8(path: "input", offset: offset)) {
            try TextInput.decodeUTF8(Data(bytes), source: "input")
        }
    }

    @Test("valid UTF-8 decodes unchanged")
    func validUTF8() throws {
        #expect(try TextInput.decodeUTF8(Data("héllo 😀".utf8), source: "input") == "héllo 😀")
    }

    @Test("a truncated gzip vocabulary is reported, not crashed on")
    func truncatedGzip() throws {
        let url = Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz")!
        let data = try Data(contentsOf: url)
        let path = temporaryPath("cut.txt.gz").path
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: TokenizerError.invalidGzip(path: path, reason: "truncated stream")) {
            try BPEVocabulary.bpeFile(path: path)
        }
    }

    @Test("a merges file with a malformed line names the line")
    func malformedMerges() throws {
        let path = temporaryPath("bad-merges.txt").path
        try "#version\nt h\nthis line has three\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: TokenizerError.invalidVocabulary(path: path, reason: "line 3 is not a merge of two symbols: \"this line has three\"")) {
            try BPEVocabulary.bpeFile(path: path)
        }
    }

    @Test("a missing vocabulary file is reported")
    func missingFile() {
        #expect(throws: TokenizerError.self) { try BPEVocabulary.bpeFile(path: "/nonexistent/vocab.txt") }
    }
}
