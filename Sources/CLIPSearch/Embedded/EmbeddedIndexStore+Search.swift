import Foundation

extension EmbeddedIndexStore {
    public func search(_ query: [Float], in model: IndexModel, top: Int, threshold: Float, under folder: String?, exact: Bool,
                       ef: Int) throws -> [ImageIndex.Hit] {
        // A compaction elsewhere renumbers rows and starts a new vector file: search again if one
        // committed while this search ran.
        for _ in 0..<3 {
            guard let current = try catalogue.model(fingerprint: model.fingerprint) else { break }
            let hits = try search(query, current, top: top, threshold: threshold, under: folder, exact: exact, ef: ef)
            guard try catalogue.model(fingerprint: model.fingerprint)?.generation == current.generation else { continue }
            guard let hits else {
                throw SearchError.invalidVectorFile(path: vectorFile(of: current).path,
                                                    reason: "missing; `clip index` on the same folders encodes its images again")
            }
            return hits
        }
        throw SearchError.busy(index: directory.path)
    }

    /// One attempt at a search of `model`'s current generation; nil if its vector file was replaced meanwhile.
    private func search(_ query: [Float], _ model: IndexModel, top: Int, threshold: Float, under folder: String?,
                        exact: Bool, ef: Int) throws -> [ImageIndex.Hit]? {
        let rowLimit = try catalogue.referencedRowCount(model: model)
        guard rowLimit > 0 else { return [] }
        guard let matrix = try vectors(model) else { return nil }
        if matrix.count < rowLimit { try matrix.refresh() }
        if let folder {
            let paths = try catalogue.paths(model: model, under: folder)
            let rows = try ExactSearch.top(top, in: matrix, query: query, threshold: threshold, rowLimit: rowLimit, include: { paths[$0] != nil })
            return Self.hits(rows, paths: paths, top: top)
        }
        // Most rows have a file; ask for a few more rows than results, and more while rows whose
        // files are gone take places.
        guard query.count == matrix.width else { throw SearchError.widthMismatch(expected: matrix.width, actual: query.count) }
        let graph = exact ? nil : graphForSearch(model, rows: rowLimit)
        var wanted = top + 16
        while true {
            let rows = try graph.map { try Self.approximateTop(wanted, graph: $0, matrix: matrix, query: query, threshold: threshold,
                                                               rowLimit: rowLimit, ef: max(ef, wanted)) }
                ?? ExactSearch.top(wanted, in: matrix, query: query, threshold: threshold, rowLimit: rowLimit)
            let paths = try catalogue.paths(model: model, rows: rows.map(\.row))
            let hits = Self.hits(rows, paths: paths, top: top)
            if hits.count >= top || rows.count < wanted { return hits }
            wanted *= 4
        }
    }

    /// The graph's best rows for `query`, merged with a scan of the rows it does not cover yet.
    static func approximateTop(_ k: Int, graph: HNSWGraph, matrix: VectorMatrix, query: [Float], threshold: Float, rowLimit: Int,
                               ef: Int) throws -> [SearchHit] {
        var selection = TopK(k)
        try matrix.withRows(limit: rowLimit) { base in
            let scorer = RowScorer(base: base, matrix: matrix)
            query.withUnsafeBufferPointer { query in
                for hit in graph.search(query.baseAddress!, ef: ef, scorer: scorer) where hit.score >= threshold { selection.offer(hit) }
                for row in graph.count..<min(rowLimit, matrix.count) {
                    let score = scorer.score(row, query.baseAddress!)
                    if score >= threshold { selection.offer(SearchHit(row: row, score: score)) }
                }
            }
        }
        return selection.sorted()
    }

    private static func hits(_ rows: [SearchHit], paths: [Int: [IndexFileReference]], top: Int) -> [ImageIndex.Hit] {
        var hits: [ImageIndex.Hit] = []
        for row in rows {
            for file in paths[row.row] ?? [] where hits.count < top { hits.append(ImageIndex.Hit(path: file.path, score: row.score, id: file.id, row: row.row)) }
        }
        return hits
    }
}
