/// Reductions over the middle axis of a contiguous `[outer, n, inner]` block.
enum ReductionKernels {
    /// `output[o, i] = Σ_j input[o, j, i]`.
    static func sum(_ input: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                    into output: UnsafeMutablePointer<Float>) {
        if inner == 1 {
            Parallel.forEachChunk(outer, grain: Swift.max(1, elementwiseGrain / Swift.max(n, 1))) { rows in
                for row in rows { output[row] = sumContiguous(input + row * n, n) }
            }
            return
        }
        if outer == 1 {
            // Split the columns so each thread adds whole rows of its own column range.
            Parallel.forEachChunk(inner, grain: Swift.max(vecWidth, elementwiseGrain / Swift.max(n, 1))) { columns in
                sumRows(input + columns.lowerBound, rows: n, rowStride: inner, width: columns.count,
                        into: output + columns.lowerBound)
            }
            return
        }
        Parallel.forEachChunk(outer, grain: Swift.max(1, elementwiseGrain / Swift.max(n * inner, 1))) { blocks in
            for block in blocks {
                sumRows(input + block * n * inner, rows: n, rowStride: inner, width: inner,
                        into: output + block * inner)
            }
        }
    }

    /// Sum of `count` contiguous floats, with 64 partial sums for accuracy and speed.
    static func sumContiguous(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc0 = Vec(), acc1 = Vec(), acc2 = Vec(), acc3 = Vec()
        var i = 0
        while i + 4 * vecWidth <= count {
            acc0 += loadVec(p + i)
            acc1 += loadVec(p + i + vecWidth)
            acc2 += loadVec(p + i + 2 * vecWidth)
            acc3 += loadVec(p + i + 3 * vecWidth)
            i += 4 * vecWidth
        }
        while i + vecWidth <= count {
            acc0 += loadVec(p + i)
            i += vecWidth
        }
        if i < count { acc1 += loadPartialVec(p + i, count - i) }
        return horizontalSum((acc0 + acc1) + (acc2 + acc3))
    }

    /// `output[c] = Σ_r input[r · rowStride + c]` for `c < width`.
    static func sumRows(_ input: UnsafePointer<Float>, rows: Int, rowStride: Int, width: Int,
                        into output: UnsafeMutablePointer<Float>) {
        output.update(repeating: 0, count: width)
        for row in 0..<rows {
            let source = input + row * rowStride
            mapVectors(output, source, output, width) { $0 + $1 }
        }
    }

    /// Maximum along the middle axis, with the index of its first occurrence. NaN wins, as in torch.
    static func max(_ input: UnsafePointer<Float>, outer: Int, n: Int, inner: Int,
                    values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int>) {
        Parallel.forEachChunk(outer * inner, grain: Swift.max(1, elementwiseGrain / Swift.max(n, 1))) { range in
            for flat in range {
                let o = flat / inner
                let i = flat % inner
                let base = input + o * n * inner + i
                var best = base[0]
                var bestIndex = 0
                if !best.isNaN {
                    for j in 1..<Swift.max(n, 1) {
                        let value = base[j * inner]
                        if value.isNaN { best = value; bestIndex = j; break }
                        if value > best { best = value; bestIndex = j }
                    }
                }
                values[flat] = best
                indices[flat] = bestIndex
            }
        }
    }
}
