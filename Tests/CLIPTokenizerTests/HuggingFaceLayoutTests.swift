@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

@Suite("Hugging Face tokenizer layout")
struct HuggingFaceLayoutTests {
    /// Writes vocab.json and merges.txt for the bundled vocabulary under Hugging Face's special-token
    /// names (as Scripts/make_tokenizer_golden.py wrote them for transformers), beside the committed
    /// tokenizer_config.json. Made once: the suite's tests run in parallel, and each making it afresh
    /// removed the folder while another read it.
    static let directory = Result { try makeDirectory() }

    static func makeDirectory() throws -> String {
        let directory = temporaryPath("clip-hf-tokenizer")
        try? FileManager.default.removeItem(at: directory)   // a run with the same pid may have left it
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bundled = try BPEVocabulary.bundled()
        var vocab: [String: Int] = [:]
        for (id, token) in bundled.tokens.enumerated() {
            vocab[token == "<start_of_text>" ? "<|startoftext|>" : token == "<end_of_text>" ? "<|endoftext|>" : token] = id
        }
        try JSONSerialization.data(withJSONObject: vocab).write(to: directory.appendingPathComponent("vocab.json"))
        let merges = try BPEVocabulary.readText(path: Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz")!.path)
            .split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix(BPEVocabulary.referenceMergeCount)
        try ("#version: 0.2\n" + merges.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("merges.txt"), atomically: true, encoding: .utf8)
        let config = ReferenceData.fixturesDirectory().appendingPathComponent("hf_tokenizer/tokenizer_config.json")
        let target = directory.appendingPathComponent("tokenizer_config.json")
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.copyItem(at: config, to: target)
        return directory.path
    }

    @Test("vocab.json + merges.txt + tokenizer_config.json give the same vocabulary, pad 49407")
    func loadsDirectory() throws {
        let vocabulary = try BPEVocabulary.huggingFace(directory: Self.directory.get())
        #expect(vocabulary.layout == .huggingFace)
        #expect(vocabulary.count == 49_408)
        #expect(vocabulary.startID == 49406 && vocabulary.endID == 49407 && vocabulary.padID == 49407)
        #expect(vocabulary.configuredContextLength == 77)
    }

    /// transformers 5's CLIPTokenizer (the `tokenizers` backend) normalises with NFC, whitespace and
    /// lower-casing only; swift-clip keeps the reference cleaning (ftfy, HTML) for every layout, as
    /// the models were trained with it. The ids therefore agree wherever that cleaning changes
    /// nothing; these categories are chosen for that, before looking at any result.
    static let categoriesUntouchedByCleaning: Set<String> = ["caption", "numbers", "punctuation", "accented", "cjk", "emoji", "long"]

    @Test("ids equal transformers' CLIPTokenizer on text the cleaning leaves alone")
    func matchesTransformers() throws {
        let tokenizer = try CLIPTokenizer(vocabulary: BPEVocabulary.huggingFace(directory: Self.directory.get()))
        let rows = try GoldenRow.load("hf_golden.jsonl.gz").filter { Self.categoriesUntouchedByCleaning.contains($0.category) }
        #expect(rows.count > 400)
        for row in rows {
            #expect(tokenizer.tokenize(row.text) == row.ids, "\(row.text.debugDescription)")
        }
    }

    @Test("a missing merges file and a malformed vocab.json are named in the error")
    func badDirectory() throws {
        let directory = temporaryPath("clip-hf-bad")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("[1, 2]".utf8).write(to: directory.appendingPathComponent("vocab.json"))
        #expect(throws: TokenizerError.invalidVocabulary(path: directory.appendingPathComponent("vocab.json").path,
                                                         reason: "expected an object of token → id")) {
            try BPEVocabulary.huggingFace(directory: directory.path)
        }
        try Data(#"{"a": 0}"#.utf8).write(to: directory.appendingPathComponent("vocab.json"))
        #expect(throws: TokenizerError.self) { try BPEVocabulary.huggingFace(directory: directory.path) }
    }
}
