/// Layer normalisation over contiguous rows: forward saves each row's mean and 1/σ for backward.
enum LayerNormKernels {
    static let grain = 1 << 14

    /// y = (x − μ) / √(σ² + ε) · weight + bias, per row of length n (two-pass variance).
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, length n: Int,
                        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, epsilon: Float,
                        mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
            for row in range {
                let input = x + row * n
                let output = y + row * n
                let mu = ReductionKernels.sumContiguous(input, n) / Float(n)
                let muVec = Vec(repeating: mu)
                var squares = Vec()
                var i = 0
                while i + vecWidth <= n {
                    let d = loadVec(input + i) - muVec
                    squares += d * d
                    i += vecWidth
                }
                if i < n {
                    var d = loadPartialVec(input + i, n - i) - muVec
                    for lane in (n - i)..<vecWidth { d[lane] = 0 }
                    squares += d * d
                }
                let rstd = 1 / (horizontalSum(squares) / Float(n) + epsilon).squareRoot()
                mean[row] = mu
                inverseStd[row] = rstd
                let rstdVec = Vec(repeating: rstd)
                switch (weight, bias) {
                case let (w?, b?):
                    i = 0
                    while i + vecWidth <= n {
                        storeVec((loadVec(input + i) - muVec) * rstdVec * loadVec(w + i) + loadVec(b + i), output + i)
                        i += vecWidth
                    }
                    while i < n {
                        output[i] = (input[i] - mu) * rstd * w[i] + b[i]
                        i += 1
                    }
                case let (w?, nil):
                    mapVectors(input, w, output, n) { ($0 - muVec) * rstdVec * $1 }
                default:
                    mapVectors(input, output, n) { ($0 - muVec) * rstdVec }
                }
            }
        }
    }

    /// dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) with ĝ = dy ⊙ weight and x̂ the normalised input.
    static func backwardInput(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                              rows: Int, length n: Int, weight: UnsafePointer<Float>?,
                              mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>) {
        Parallel.forEachChunk(rows, grain: Swift.max(1, grain / Swift.max(n, 1))) { range in
            for row in range {
                let input = x + row * n, gradOut = dy + row * n, gradIn = dx + row * n
                let mu = Vec(repeating: mean[row]), rstd = Vec(repeating: inverseStd[row])
                // Lanes past n load as 0 in both dy and x − μ (masked), so they add nothing.
                @inline(__always) func lanes(_ i: Int) -> (g: Vec, xhat: Vec) {
                    let count = Swift.min(vecWidth, n - i)
                    let dyv = count == vecWidth ? loadVec(gradOut + i) : loadPartialVec(gradOut + i, count)
                    let g = weight.map { dyv * (count == vecWidth ? loadVec($0 + i) : loadPartialVec($0 + i, count)) } ?? dyv
                    let xv = count == vecWidth ? loadVec(input + i) : loadPartialVec(input + i, count, padding: mean[row])
                    return (g, (xv - mu) * rstd)
                }
                var sumG = Vec(), sumGX = Vec()
                var i = 0
                while i < n {
                    let (g, xhat) = lanes(i)
                    sumG += g
                    sumGX += g * xhat
                    i += vecWidth
                }
                let meanG = Vec(repeating: horizontalSum(sumG) / Float(n)), meanGX = Vec(repeating: horizontalSum(sumGX) / Float(n))
                i = 0
                while i < n {
                    let (g, xhat) = lanes(i)
                    let result = rstd * (g - meanG - xhat * meanGX)
                    if n - i >= vecWidth { storeVec(result, gradIn + i) } else { storePartialVec(result, gradIn + i, n - i) }
                    i += vecWidth
                }
            }
        }
    }

    /// dweight = Σ_rows dy ⊙ x̂ and dbias = Σ_rows dy, over column blocks of one vector each, every
    /// row adding into the blocks of its thread's columns.
    static func backwardParameters(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, length n: Int,
                                   mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                                   gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?) {
        let blockCount = (n + vecWidth - 1) / vecWidth
        Parallel.forEachChunk(blockCount, grain: 1) { blocks in
            withUnsafeTemporaryAllocation(of: Vec.self, capacity: 2 * blocks.count) { sums in
                sums.initialize(repeating: Vec())
                for row in 0..<rows {
                    let mu = Vec(repeating: mean[row]), rstd = Vec(repeating: inverseStd[row])
                    for (slot, block) in blocks.enumerated() {
                        let i = block * vecWidth, count = Swift.min(vecWidth, n - i)
                        let g = count == vecWidth ? loadVec(dy + row * n + i) : loadPartialVec(dy + row * n + i, count)
                        let xv = count == vecWidth ? loadVec(x + row * n + i) : loadPartialVec(x + row * n + i, count)
                        sums[2 * slot] += g * (xv - mu) * rstd
                        sums[2 * slot + 1] += g
                    }
                }
                for (slot, block) in blocks.enumerated() {
                    let i = block * vecWidth, count = Swift.min(vecWidth, n - i)
                    gradWeight.map { storePartialVec(sums[2 * slot], $0 + i, count) }
                    gradBias.map { storePartialVec(sums[2 * slot + 1], $0 + i, count) }
                }
            }
        }
    }
}
