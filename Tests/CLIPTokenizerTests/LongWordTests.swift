@testable import CLIPTokenizer
import CLIPTestSupport
import Foundation
import Testing

@Suite("Long words")
struct LongWordTests {
    struct Row: Decodable, Sendable { let text: String; let encode: [Int] }

    @Test("words beyond the scanning limit get open_clip's ids (Scripts/make_long_word_golden.py)")
    func referenceIDs() throws {
        let url = ReferenceData.fixturesDirectory().appendingPathComponent("long_words.json")
        let rows = try JSONDecoder().decode([Row].self, from: Data(contentsOf: url))
        #expect(rows.count == 20)
        let tokenizer = try CLIPTokenizer()
        for row in rows {
            #expect(tokenizer.encode(row.text) == row.encode, "\(row.text.prefix(40))… (\(row.text.count) characters)")
        }
    }

    @Test("the queue merges exactly as the scanning loop on random words of every length")
    func queueEqualsScanning() throws {
        let vocabulary = try BPEVocabulary.bundled()
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdeilnorstuy")
        for length in 2...200 {
            let word = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            let bytes = Array(word.utf8)
            var symbols = bytes.map { vocabulary.ids[String(Character(ByteEncoder.characters[Int($0)]))]! }
            symbols[symbols.count - 1] = vocabulary.ids[String(Character(ByteEncoder.characters[Int(bytes.last!)])) + "</w>"]!
            #expect(vocabulary.mergedThroughQueue(symbols) == vocabulary.mergedByScanning(symbols), "\(word)")
        }
    }
}
