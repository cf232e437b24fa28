@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

@Suite("Fuzz regressions and limits: vocabularies")
struct VocabularyFuzzRegressionTests {
    /// Writes vocab.json and merges.txt into a fresh folder.
    static func directory(_ name: String, vocab: Data, merges: Data) -> String {
        let folder = temporaryDirectory(name)
        FileManager.default.createFile(atPath: folder.appendingPathComponent("vocab.json").path, contents: vocab)
        FileManager.default.createFile(atPath: folder.appendingPathComponent("merges.txt").path, contents: merges)
        return folder.path
    }

    static func expectInvalidVocabulary(_ directory: String, containing text: String? = nil) {
        do {
            _ = try BPEVocabulary.huggingFace(directory: directory)
            Issue.record("the vocabulary was accepted")
        } catch let TokenizerError.invalidVocabulary(_, reason) {
            if let text { #expect(reason.contains(text), "\(reason)") }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a vocab.json id of 588,888,888 is refused before a table that large is allocated (was a 9 GB allocation)")
    func hugeTokenID() throws {
        let input = try ReferenceData.fuzzRegression("FuzzVocabulary", "oom-4f424b6ae452a367fb651403758986052ce53f64")
        let separator = try #require(input.firstRange(of: Data([0x0A, 0x00, 0x0A])))
        Self.expectInvalidVocabulary(Self.directory("fuzz-vocab", vocab: input[..<separator.lowerBound], merges: input[separator.upperBound...]))
    }

    @Test("ids must be 0…N−1; an empty vocabulary is refused")
    func idsAndEmpty() {
        Self.expectInvalidVocabulary(Self.directory("vocab-gap", vocab: Data(#"{"a": 0, "b": 2}"#.utf8), merges: Data()), containing: "outside 0…1")
        Self.expectInvalidVocabulary(Self.directory("vocab-empty", vocab: Data("{}".utf8), merges: Data()), containing: "no tokens")
    }

    @Test("more than 1,000,000 tokens are refused, naming the limit")
    func tokenCount() {
        let count = BPEVocabulary.maximumTokenCount + 1
        var json = "{"
        json.reserveCapacity(count * 18)
        for id in 0..<count { json += "\"t\(id)\":\(id)," }
        json.removeLast()
        json += "}"
        Self.expectInvalidVocabulary(Self.directory("vocab-huge", vocab: Data(json.utf8), merges: Data()),
                                     containing: "1000001 tokens, more than the limit of 1000000")
    }
}


@Suite("Limits: compressed vocabularies")
struct GzipLimitTests {
    @Test("a gzip that expands past the limit is refused, naming it (the bundled 1.4 MB vocabulary under a 1 MB limit)")
    func expansionLimit() throws {
        let url = try #require(Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz"))
        let data = try Data(contentsOf: url)
        #expect(throws: TokenizerError.invalidGzip(path: "vocab.gz", reason: "decompresses to more than 1000000 bytes (the limit)")) {
            try Gzip.decompress(data, path: "vocab.gz", limit: 1_000_000)
        }
        #expect(try Gzip.decompress(data, path: "vocab.gz").count > 1_000_000)
        #expect(Gzip.maximumDecompressedBytes == 268_435_456)
    }

    @Test("invalid JSON in a tokenizer file is an invalid-vocabulary error naming the file, not a Foundation error")
    func invalidJSON() throws {
        let folder = VocabularyFuzzRegressionTests.directory("vocab-bad-json", vocab: Data(#"{"a": 0,"#.utf8), merges: Data())
        do {
            _ = try BPEVocabulary.huggingFace(directory: folder)
            Issue.record("accepted")
        } catch let TokenizerError.invalidVocabulary(path, reason) {
            #expect(path.hasSuffix("vocab.json") && reason.hasPrefix("not valid JSON"), "\(reason)")
        }
    }
}
