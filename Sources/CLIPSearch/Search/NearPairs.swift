import CLIPTensor

/// Pairs of rows whose dot product reaches a threshold, found block against block over the whole
/// matrix by GEMM (each pair scored once), not as one search per row.
enum NearPairs {
    /// Rows per block: a block pair's scores take `blockRows²` floats (16 MiB).
    static let blockRows = 2_048

    /// The pairs `(a, b, score)` of `rows` (indices into `matrix`) with `a` before `b` in `rows`
    /// and a dot product ≥ `threshold`.
    static func find(in matrix: VectorMatrix, rows: [Int], threshold: Float) throws -> [(a: Int, b: Int, score: Float)] {
        let width = matrix.width
        let blockCapacity = min(blockRows, rows.count)
        guard blockCapacity > 0 else { return [] }
        let left = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockCapacity * width)
        let right = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockCapacity * width)
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockCapacity * blockCapacity)
        defer {
            left.deallocate()
            right.deallocate()
            scores.deallocate()
        }
        var pairs: [(a: Int, b: Int, score: Float)] = []
        try matrix.withRows { base in
            func gather(_ range: Range<Int>, into target: UnsafeMutableBufferPointer<Float>) throws {
                for (offset, index) in range.enumerated() {
                    let row = rows[index]
                    guard row >= 0, row < matrix.count else { throw SearchError.invalidQuery("row \(row) is outside 0..<\(matrix.count)") }
                    let source = base + row * matrix.rowBytes
                    let destination = target.baseAddress! + offset * width
                    switch matrix.element {
                    case .float32: destination.update(from: source.assumingMemoryBound(to: Float.self), count: width)
                    case .float16: VectorMatrix.widen(source, count: width, into: destination)
                    }
                }
            }
            for leftStart in stride(from: 0, to: rows.count, by: blockRows) {
                let leftRange = leftStart..<min(leftStart + blockRows, rows.count)
                try gather(leftRange, into: left)
                for rightStart in stride(from: leftStart, to: rows.count, by: blockRows) {
                    let rightRange = rightStart..<min(rightStart + blockRows, rows.count)
                    try gather(rightRange, into: right)
                    RowProducts.compute(queries: left.baseAddress!, queryCount: leftRange.count, rows: right.baseAddress!,
                                        rowCount: rightRange.count, width: width, into: scores.baseAddress!)
                    for i in 0..<leftRange.count {
                        let a = leftRange.lowerBound + i
                        let line = scores.baseAddress! + i * rightRange.count
                        for j in 0..<rightRange.count where line[j] >= threshold {
                            let b = rightRange.lowerBound + j
                            if b > a { pairs.append((a, b, line[j])) }
                        }
                    }
                }
            }
        }
        return pairs
    }
}

/// Disjoint sets over `0..<count` (union by size, path halving).
struct DisjointSets {
    private var parent: [Int]
    private var size: [Int]

    init(count: Int) {
        parent = Array(0..<count)
        size = [Int](repeating: 1, count: count)
    }

    mutating func root(_ element: Int) -> Int {
        var element = element
        while parent[element] != element {
            parent[element] = parent[parent[element]]
            element = parent[element]
        }
        return element
    }

    mutating func join(_ a: Int, _ b: Int) {
        var (rootA, rootB) = (root(a), root(b))
        guard rootA != rootB else { return }
        if size[rootA] < size[rootB] { swap(&rootA, &rootB) }
        parent[rootB] = rootA
        size[rootA] += size[rootB]
    }
}
