import Foundation

/// Row-wise softmax and log-softmax over contiguous rows, with their backward passes.
enum SoftmaxKernels {
    /// Rows shorter than this are grouped so one chunk does at least this much work.
    static let grain = 1 << 14

    static func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, length n: Int) {
        Parallel.forEachChunk(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
            for row in range { softmaxRow(x + row * n, y + row * n, n) }
        }
    }

    /// One row: y = e^(x − max) / Σ e^(x − max). A row of −∞ gives NaN, as in torch.
    @inline(__always)
    static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let maximum = Vec(repeating: rowMax(x, n))
        var total = Vec()
        var i = 0
        while i + vecWidth <= n {
            let e = vexp(loadVec(x + i) - maximum)
            storeVec(e, y + i)
            total += e
            i += vecWidth
        }
        if i < n {
            let e = vexp(loadPartialVec(x + i, n - i, padding: -.infinity) - maximum)
            storePartialVec(e, y + i, n - i)
            total += e
        }
        let scale = Vec(repeating: 1 / horizontalSum(total))
        mapVectors(y, y, n) { $0 * scale }
    }

    static func logSoftmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, length n: Int) {
        Parallel.forEachChunk(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
            for row in range {
                let input = x + row * n
                let m = rowMax(input, n)
                let maximum = Vec(repeating: m)
                var total = Vec()
                var i = 0
                while i + vecWidth <= n {
                    total += vexp(loadVec(input + i) - maximum)
                    i += vecWidth
                }
                if i < n { total += vexp(loadPartialVec(input + i, n - i, padding: -.infinity) - maximum) }
                let shift = Vec(repeating: m + Foundation.log(horizontalSum(total)))
                mapVectors(input, y + row * n, n) { $0 - shift }
            }
        }
    }

    /// dx = y ⊙ (dy − Σ dy ⊙ y) per row.
    static func softmaxBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                rows: Int, length n: Int) {
        Parallel.forEachChunk(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
            for row in range {
                let yr = y + row * n, dyr = dy + row * n
                let dot = Vec(repeating: rowDot(yr, dyr, n))
                mapVectors(yr, dyr, dx + row * n, n) { $0 * ($1 - dot) }
            }
        }
    }

    /// dx = dy − e^y · Σ dy per row (y is the log-softmax output).
    static func logSoftmaxBackward(_ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                   rows: Int, length n: Int) {
        Parallel.forEachChunk(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
            for row in range {
                let yr = y + row * n, dyr = dy + row * n
                let total = Vec(repeating: ReductionKernels.sumContiguous(dyr, n))
                mapVectors(yr, dyr, dx + row * n, n) { $1 - vexp($0) * total }
            }
        }
    }

    @inline(__always)
    static func rowMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var best = Vec(repeating: -.infinity)
        var i = 0
        while i + vecWidth <= n {
            let v = loadVec(x + i)
            best.replace(with: v, where: v .> best)
            i += vecWidth
        }
        if i < n {
            let v = loadPartialVec(x + i, n - i, padding: -.infinity)
            best.replace(with: v, where: v .> best)
        }
        return horizontalMax(best)
    }

    @inline(__always)
    static func rowDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var total = Vec()
        var i = 0
        while i + vecWidth <= n {
            total += loadVec(a + i) * loadVec(b + i)
            i += vecWidth
        }
        if i < n { total += loadPartialVec(a + i, n - i) * loadPartialVec(b + i, n - i) }
        return horizontalSum(total)
    }
}
