import CLIPSearch
import CLIPTestSupport
import Foundation
import Testing

/// Brute-force references from Scripts/make_search_fixtures.py (numpy, float64 dot products).
struct SearchFixture: Decodable {
    struct Hit: Decodable { let row: Int; let score: Double }
    struct Case: Decodable, CustomStringConvertible {
        let element: String
        let query: Int
        let k: Int
        let threshold: Double?
        let evenOnly: Bool?
        let hits: [Hit]
        var description: String { "\(element) query \(query) k \(k)\(threshold.map { " ≥ \($0)" } ?? "")\(evenOnly == true ? " even rows" : "")" }
        enum CodingKeys: String, CodingKey { case element, query, k, threshold, hits, evenOnly = "even_only" }
    }
    let width: Int
    let vectors: String
    let queries: String
    let cases: [Case]

    static let loaded: SearchFixture = {
        let url = ReferenceData.fixturesDirectory().appendingPathComponent("exact_search.json")
        return try! JSONDecoder().decode(SearchFixture.self, from: Data(contentsOf: url))
    }()

    static func rows(_ base64: String, width: Int) -> [[Float]] {
        let data = Data(base64Encoded: base64)!
        let floats = data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
        return stride(from: 0, to: floats.count, by: width).map { Array(floats[$0..<($0 + width)]) }
    }
}

@Suite("Exact search")
struct ExactSearchTests {
    /// numpy sums in float64; GEMM in float32 over 24 products of unit vectors: a few ulps of 1.
    static let scoreTolerance: Float = 1e-5

    static func matrix(_ element: VectorElement) throws -> VectorMatrix {
        let fixture = SearchFixture.loaded
        let path = temporaryPath("search-\(element.rawValue).vectors").path
        let matrix = try VectorMatrix(path: path, width: fixture.width, element: element)
        try matrix.append(SearchFixture.rows(fixture.vectors, width: fixture.width))
        return matrix
    }

    @Test("top-k, thresholds and row filters equal numpy's brute force, in f32 and f16", arguments: SearchFixture.loaded.cases)
    func matchesBruteForce(_ testCase: SearchFixture.Case) throws {
        let fixture = SearchFixture.loaded
        let matrix = try Self.matrix(VectorElement(rawValue: testCase.element)!)
        let query = SearchFixture.rows(fixture.queries, width: fixture.width)[testCase.query]
        let hits = try ExactSearch.top(testCase.k, in: matrix, query: query, threshold: testCase.threshold.map(Float.init) ?? -.infinity,
                                       include: testCase.evenOnly == true ? { $0 % 2 == 0 } : nil)
        #expect(hits.map(\.row) == testCase.hits.map(\.row))
        for (hit, expected) in zip(hits, testCase.hits) {
            #expect(abs(hit.score - Float(expected.score)) <= Self.scoreTolerance, "row \(hit.row)")
        }
    }

    @Test("blocks: a matrix longer than one scoring block gives the same hits as a scan of every row")
    func acrossBlocks() throws {
        let path = temporaryPath("search-blocks.vectors").path
        let matrix = try VectorMatrix(path: path, width: 4, element: .float32)
        var generator = SystemRandomNumberGenerator()
        let rows = (0..<20_000).map { _ in (0..<4).map { _ in Float.random(in: -1...1, using: &generator) } }
        try matrix.append(rows)
        let query: [Float] = [0.5, -0.5, 0.5, 0.5]
        let expected = rows.enumerated().map { SearchHit(row: $0.offset, score: zip($0.element, query).map(*).reduce(0, +)) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.row < $1.row }.prefix(25).map(\.row)
        #expect(try ExactSearch.top(25, in: matrix, query: query).map(\.row) == expected)
    }

    @Test("queries of the wrong width, negative k and non-finite values are refused")
    func invalidQueries() throws {
        let matrix = try Self.matrix(.float32)
        #expect(throws: SearchError.widthMismatch(expected: 24, actual: 3)) { try ExactSearch.top(1, in: matrix, query: [1, 0, 0]) }
        #expect(throws: SearchError.self) { try ExactSearch.top(-1, in: matrix, query: [Float](repeating: 0, count: 24)) }
        #expect(throws: SearchError.self) { try ExactSearch.top(1, in: matrix, query: [Float](repeating: .nan, count: 24)) }
        #expect(try ExactSearch.top(0, in: matrix, query: [Float](repeating: 0, count: 24)).isEmpty)
    }
}

@Suite("Vector files")
struct VectorMatrixTests {
    @Test("rows read back as written (f16 rounded as IEEE half), and survive reopening")
    func roundTrip() throws {
        let path = temporaryPath("roundtrip.vectors").path
        let rows: [[Float]] = [[1, 0.5, -2], [0.1, 0.2, 0.3]]
        do {
            let matrix = try VectorMatrix(path: path, width: 3, element: .float16)
            #expect(try matrix.append(rows) == 0..<2)
        }
        let reopened = try VectorMatrix(path: path, width: 3, element: .float16, writable: false)
        #expect(reopened.count == 2)
        #expect(try reopened.row(0) == [1, 0.5, -2])
        #expect(try reopened.row(1) == rows[1].map { Float(Float16($0)) })
    }

    @Test("a partial row at the end (a write cut short) is not counted, and is cut off when opened for writing")
    func partialRow() throws {
        let path = temporaryPath("partial.vectors").path
        do { try VectorMatrix(path: path, width: 2, element: .float32).append([[1, 2], [3, 4]]) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3]))
        try handle.close()
        #expect(try VectorMatrix(path: path, width: 2, element: .float32, writable: false).count == 2)
        let matrix = try VectorMatrix(path: path, width: 2, element: .float32)
        #expect(matrix.count == 2)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 32 + 2 * 8)
        #expect(try matrix.append([[5, 6]]) == 2..<3)
        #expect(try matrix.row(2) == [5, 6])
        try matrix.truncate(to: 1)
        #expect(matrix.count == 1)
    }

    @Test("a file of another width, element type or format is refused, naming what it holds")
    func mismatchedFiles() throws {
        let path = temporaryPath("mismatch.vectors").path
        _ = try VectorMatrix(path: path, width: 8, element: .float16)
        #expect(throws: SearchError.invalidVectorFile(path: path, reason: "holds f16 vectors of width 8, not f32 of width 8")) {
            try VectorMatrix(path: path, width: 8, element: .float32)
        }
        let text = temporaryPath("text.vectors").path
        try Data("not a vector file at all, just text".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: SearchError.invalidVectorFile(path: text, reason: "no CLIPVEC1 header")) {
            try VectorMatrix(path: text, width: 8, element: .float32)
        }
        #expect(throws: SearchError.widthMismatch(expected: 8, actual: 2)) {
            try VectorMatrix(path: path, width: 8, element: .float16).append([[1, 2]])
        }
    }
}
