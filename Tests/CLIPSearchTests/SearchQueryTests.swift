import CLIPSearch
import Testing

@Suite("Query arithmetic")
struct SearchQueryTests {
    static func parse(_ words: [String]) throws -> SearchQuery {
        try SearchQuery(arguments: words) { $0.hasSuffix(".jpg") }
    }

    @Test("terms joined by + and -, weights, texts and images")
    func parsing() throws {
        let query = try Self.parse(["a dog", "-", "grass", "+", "2:beach.jpg", "-", "0.5:night"])
        #expect(query.terms == [
            .init(weight: 1, subject: .text("a dog")), .init(weight: -1, subject: .text("grass")),
            .init(weight: 2, subject: .image(path: "beach.jpg")), .init(weight: -0.5, subject: .text("night")),
        ])
        // A colon after something that is not a number is part of the text.
        #expect(try Self.parse(["note: a cat"]).terms == [.init(weight: 1, subject: .text("note: a cat"))])
    }

    @Test("misplaced operators, adjacent terms, empty terms and empty queries are refused with a reason",
          arguments: [[], ["+"], ["a", "+"], ["-", "a"], ["a", "b"], ["a", "+", "-", "b"], ["2:"]])
    func invalid(_ words: [String]) {
        #expect(throws: SearchError.self) { try Self.parse(words) }
    }

    @Test("the query vector is the weighted sum of normalised embeddings, normalised")
    func combination() throws {
        let query = try Self.parse(["a", "+", "b"])
        let combined = try query.combine([[3, 0], [0, 0.5]])
        #expect(abs(combined[0] - Float(0.5).squareRoot()) < 1e-6 && abs(combined[1] - Float(0.5).squareRoot()) < 1e-6)
        let weighted = try Self.parse(["a", "-", "2:b"]).combine([[1, 0], [0, 1]])
        #expect(abs(weighted[0] - 1 / Float(5).squareRoot()) < 1e-6 && abs(weighted[1] + 2 / Float(5).squareRoot()) < 1e-6)
        #expect(throws: SearchError.self) { try Self.parse(["a", "-", "b"]).combine([[1, 0], [1, 0]]) }
        #expect(throws: SearchError.self) { try Self.parse(["a"]).combine([[0, 0]]) }
    }
}
