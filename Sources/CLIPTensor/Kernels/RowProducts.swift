/// Dot products of query vectors with every row of a matrix held in memory (a memory-mapped vector
/// file, for instance), through the same GEMM and threads as the models.
public enum RowProducts {
    /// `scores[q · rowCount + r] = queries[q] · rows[r]`, for `queryCount` queries and `rowCount`
    /// rows of `width` floats, all row-major and tightly packed.
    public static func compute(queries: UnsafePointer<Float>, queryCount: Int, rows: UnsafePointer<Float>, rowCount: Int,
                               width: Int, into scores: UnsafeMutablePointer<Float>) {
        guard queryCount > 0, rowCount > 0, width > 0 else { return }
        GEMM.multiply(transposeB: true, m: queryCount, n: rowCount, k: width, a: queries, b: rows, c: scores)
    }
}
