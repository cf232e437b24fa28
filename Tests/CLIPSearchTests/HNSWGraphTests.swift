import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

@testable import CLIPSearch

/// Unit vectors around `clusters` random centres on the sphere, as embeddings cluster.
enum ClusteredVectors {
    /// The centres come from `seed`, the noise from `noiseSeed` (queries: the same centres, other points).
    static func make(count: Int, width: Int, clusters: Int, spread: Float, seed: UInt64, noiseSeed: UInt64? = nil) -> [[Float]] {
        var generator = RandomGenerator(seed: seed)
        func unit(_ vector: [Float]) -> [Float] {
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return vector.map { $0 / norm }
        }
        let centres = (0..<clusters).map { _ in unit((0..<width).map { _ in generator.nextNormal() }) }
        if let noiseSeed { generator = RandomGenerator(seed: noiseSeed) }
        return (0..<count).map { index in
            unit(centres[index % clusters].map { $0 + spread * generator.nextNormal() })
        }
    }
}

@Suite("HNSW graph", .serialized)
struct HNSWGraphTests {
    static func matrix(_ name: String, _ vectors: [[Float]], element: VectorElement) throws -> VectorMatrix {
        let matrix = try VectorMatrix(path: temporaryPath("\(name).\(element.rawValue)").path, width: vectors[0].count, element: element)
        try matrix.append(vectors)
        return matrix
    }

    static func recall(graph: HNSWGraph, matrix: VectorMatrix, queries: [[Float]], k: Int, ef: Int) throws -> Double {
        var found = 0
        for query in queries {
            let exact = Set(try ExactSearch.top(k, in: matrix, query: query).map(\.row))
            let approximate = try EmbeddedIndexStore.approximateTop(k, graph: graph, matrix: matrix, query: query, threshold: -.infinity,
                                                            rowLimit: matrix.count, ef: ef)
            found += approximate.filter { exact.contains($0.row) }.count
        }
        return Double(found) / Double(queries.count * k)
    }

    @Test("recall@10 against exact search is at least 0.95 on clustered vectors, f16 and f32; scores are the rows' own",
          arguments: [VectorElement.float16, .float32])
    func recall(_ element: VectorElement) throws {
        // Each vector's cosine with its centre is about 0.8, as real embeddings sit around their topics.
        let vectors = ClusteredVectors.make(count: 4_000, width: 48, clusters: 40, spread: 0.1, seed: 1)
        let queries = ClusteredVectors.make(count: 100, width: 48, clusters: 40, spread: 0.1, seed: 1, noiseSeed: 1_000)
        let matrix = try Self.matrix("hnsw-recall", vectors, element: element)
        let graph = HNSWGraph(m: 16, efConstruction: 64)
        try matrix.withRows { graph.extend(to: matrix.count, scorer: RowScorer(base: $0, matrix: matrix)) }
        #expect(graph.count == 4_000)
        let recall = try Self.recall(graph: graph, matrix: matrix, queries: queries, k: 10, ef: 64)
        #expect(recall >= 0.95, "recall@10 \(recall)")
        let hit = try #require(try EmbeddedIndexStore.approximateTop(1, graph: graph, matrix: matrix, query: queries[0], threshold: -.infinity,
                                                              rowLimit: matrix.count, ef: 64).first)
        let row = try matrix.row(hit.row)
        #expect(abs(hit.score - zip(row, queries[0]).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-4)
    }

    @Test("a graph grown in steps, and one read back from its file, answer as one built at once; rows past the graph are scanned")
    func incrementalAndFile() throws {
        let vectors = ClusteredVectors.make(count: 2_000, width: 16, clusters: 20, spread: 0.3, seed: 3)
        let matrix = try Self.matrix("hnsw-steps", vectors, element: .float32)
        let whole = HNSWGraph(m: 8, efConstruction: 40), steps = HNSWGraph(m: 8, efConstruction: 40)
        try matrix.withRows { base in
            let scorer = RowScorer(base: base, matrix: matrix)
            whole.extend(to: 2_000, scorer: scorer)
            for end in [1, 2, 700, 1_500, 2_000] { steps.extend(to: end, scorer: scorer) }
        }
        #expect(whole.serialized() == steps.serialized(), "the same rows in the same order build the same graph")
        let reread = try HNSWGraph.read(whole.serialized(), rows: 2_000)
        #expect(reread.serialized() == whole.serialized())
        // A graph of the first 1,500 rows still finds row 1,999 (scanned), and its own nodes.
        let partial = HNSWGraph(m: 8, efConstruction: 40)
        try matrix.withRows { partial.extend(to: 1_500, scorer: RowScorer(base: $0, matrix: matrix)) }
        let top = try EmbeddedIndexStore.approximateTop(1, graph: partial, matrix: matrix, query: vectors[1_999], threshold: -.infinity, rowLimit: 2_000, ef: 32)
        #expect(top.first?.row == 1_999)
        #expect(throws: HNSWGraph.FileError.self) { try HNSWGraph.read(whole.serialized(), rows: 1_999) }
    }

    @Test("damaged graph files are refused with a reason: flipped bytes, cut short, a foreign file")
    func damagedFiles() throws {
        let vectors = ClusteredVectors.make(count: 300, width: 8, clusters: 5, spread: 0.3, seed: 4)
        let matrix = try Self.matrix("hnsw-damaged", vectors, element: .float32)
        let graph = HNSWGraph(m: 4, efConstruction: 16)
        try matrix.withRows { graph.extend(to: 300, scorer: RowScorer(base: $0, matrix: matrix)) }
        let bytes = graph.serialized()
        for offset in [0, 9, 30, 100, bytes.count / 2, bytes.count - 1] {
            var damaged = bytes
            damaged[offset] ^= 0x40
            #expect(throws: HNSWGraph.FileError.self, "byte \(offset)") { try HNSWGraph.read(damaged, rows: 300) }
        }
        for length in [0, 10, 40, 44, bytes.count - 5] {
            #expect(throws: HNSWGraph.FileError.self, "\(length) bytes") { try HNSWGraph.read(bytes.prefix(length), rows: 300) }
        }
    }

    @Test("through the index: deleted files leave graph results, come back when re-added, new content joins the graph; a damaged graph is scanned around and rebuilt",
          arguments: StoreKind.allCases)
    func deletionAndReinsertion(kind: StoreKind) throws {
        guard let (index, photos, loaded, query) = try ImageIndexTests.smallIndex("hnsw-index", seed: 21, kind: kind) else { return }
        var options = ImageIndex.UpdateOptions(reference: "tiny")
        options.graph = .hnsw
        options.compactAbove = nil
        #expect(try index.update(roots: [photos.path], model: loaded, options: options).graph)
        let model = try index.model(for: loaded)
        #expect(try index.hasANNIndex(model))
        // The graph scores rows with the SIMD dot product, the scan with GEMM: the same up to rounding.
        func same(_ a: [ImageIndex.Hit], _ b: [ImageIndex.Hit]) -> Bool {
            a.map(\.path) == b.map(\.path) && zip(a, b).allSatisfy { abs($0.score - $1.score) < 1e-5 }
        }
        #expect(try same(index.search(query, in: model, top: 10), index.search(query, in: model, top: 10, exact: true)))

        let a = photos.appendingPathComponent("a.png"), copy = photos.appendingPathComponent("copy of a.png")
        let saved = try Data(contentsOf: a)
        try FileManager.default.removeItem(at: a)
        try FileManager.default.removeItem(at: copy)
        _ = try index.update(roots: [photos.path], model: loaded, options: options)
        #expect(try index.search(query, in: model, top: 10).map(\.path).allSatisfy { $0 != a.path && $0 != copy.path })
        try saved.write(to: a)
        let back = try index.update(roots: [photos.path], model: loaded, options: options)
        #expect(back.encoded == 0 && back.moved + back.added == 1)
        #expect(try index.search(query, in: model, top: 1).map(\.path) == [a.path])

        try IndexFixtures.place("square_336.jpg", "new.jpg", in: photos)
        #expect(try index.update(roots: [photos.path], model: loaded, options: options).encoded == 1)
        #expect(try same(index.search(query, in: model, top: 10), index.search(query, in: model, top: 10, exact: true)))
        guard let store = index.store as? EmbeddedIndexStore else { return }
        #expect(try store.readGraph(store.graphFile(of: model), rows: 6).count == 6)

        var damaged = try Data(contentsOf: store.graphFile(of: model))
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: store.graphFile(of: model))
        let reopened = try EmbeddedIndexStore(directory: store.directory)
        let reopenedIndex = ImageIndex(store: reopened)
        #expect(try same(reopenedIndex.search(query, in: model, top: 10), reopenedIndex.search(query, in: model, top: 10, exact: true)))
        _ = try reopenedIndex.update(roots: [photos.path], model: loaded, options: options)
        #expect(try reopened.readGraph(reopened.graphFile(of: model), rows: 6).count == 6)
    }
}
