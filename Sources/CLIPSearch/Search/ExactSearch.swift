import CGEMMKernels
import CLIPTensor

/// Exact nearest rows: every row's dot product with the query, block by block over the mapped
/// matrix (float32 through GEMM; float16 by a SIMD kernel that widens each row in registers, split
/// over the cores), and a partial selection of the best.
public enum ExactSearch {
    /// Rows scored per block.
    static let blockRows = 8_192

    /// The `k` rows with the highest dot product with `query`, best first (equal scores by lower
    /// row). With unit-length rows and query the scores are cosine similarities. Rows scoring below
    /// `threshold`, rows for which `include` returns false, and rows from `rowLimit` on are left out.
    public static func top(_ k: Int, in matrix: VectorMatrix, query: [Float], threshold: Float = -.infinity,
                           rowLimit: Int? = nil, include: ((Int) -> Bool)? = nil) throws -> [SearchHit] {
        guard k >= 0 else { throw SearchError.invalidQuery("the number of results must be ≥ 0, not \(k)") }
        guard query.count == matrix.width else { throw SearchError.widthMismatch(expected: matrix.width, actual: query.count) }
        guard query.allSatisfy(\.isFinite) else { throw SearchError.invalidQuery("the query vector has a value that is not finite") }
        var selection = TopK(k)
        try scores(of: matrix, query: query, rowLimit: rowLimit) { start, scores in
            for (offset, score) in scores.enumerated() where score >= threshold {
                let hit = SearchHit(row: start + offset, score: score)
                if let floor = selection.floor, !hit.ranksAbove(floor) { continue }
                if let include, !include(hit.row) { continue }
                selection.offer(hit)
            }
        }
        return selection.sorted()
    }

    /// Calls `body` with each block's first row and the block's scores, in row order.
    static func scores(of matrix: VectorMatrix, query: [Float], rowLimit: Int? = nil,
                       _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let count = min(matrix.count, rowLimit ?? matrix.count), width = matrix.width
        guard count > 0 else { return }
        let blockCapacity = min(blockRows, count)
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockCapacity)
        defer { scores.deallocate() }
        try query.withUnsafeBufferPointer { query in
            try matrix.withRows(limit: count) { rows in
                for start in stride(from: 0, to: count, by: blockRows) {
                    let rowCount = min(blockRows, count - start)
                    let block = rows + start * matrix.rowBytes
                    if matrix.element == .float16 {
                        // Memory-bound: rows converted in registers as they stream, on every core.
                        let halves = UncheckedSendable(block.assumingMemoryBound(to: UInt16.self))
                        let out = UncheckedSendable(scores.baseAddress!), queryStart = UncheckedSendable(query.baseAddress!)
                        Parallel.forEachChunk(rowCount, grain: 1_024) { range in
                            clip_dot_rows_f16(halves.value + range.lowerBound * width, range.count, width, queryStart.value,
                                              out.value + range.lowerBound)
                        }
                    } else {
                        RowProducts.compute(queries: query.baseAddress!, queryCount: 1, rows: block.assumingMemoryBound(to: Float.self),
                                            rowCount: rowCount, width: width, into: scores.baseAddress!)
                    }
                    try body(start, UnsafeBufferPointer(rebasing: scores[0..<rowCount]))
                }
            }
        }
    }
}
