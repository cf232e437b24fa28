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
                let mu = mean[row], rstd = inverseStd[row]
                var sumG: Float = 0
                var sumGX: Float = 0
                for i in 0..<n {
                    let g = gradOut[i] * (weight?[i] ?? 1)
                    sumG += g
                    sumGX += g * (input[i] - mu) * rstd
                }
                let meanG = sumG / Float(n), meanGX = sumGX / Float(n)
                for i in 0..<n {
                    let g = gradOut[i] * (weight?[i] ?? 1)
                    let xhat = (input[i] - mu) * rstd
                    gradIn[i] = rstd * (g - meanG - xhat * meanGX)
                }
            }
        }
    }

    /// dweight = Σ_rows dy ⊙ x̂ and dbias = Σ_rows dy.
    static func backwardParameters(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rows: Int, length n: Int,
                                   mean: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                                   gradWeight: UnsafeMutablePointer<Float>?, gradBias: UnsafeMutablePointer<Float>?) {
        Parallel.forEachChunk(n, grain: vecWidth * 4) { columns in
            gradWeight.map { ($0 + columns.lowerBound).update(repeating: 0, count: columns.count) }
            gradBias.map { ($0 + columns.lowerBound).update(repeating: 0, count: columns.count) }
            for row in 0..<rows {
                let mu = mean[row], rstd = inverseStd[row]
                for i in columns {
                    let g = dy[row * n + i]
                    gradWeight?[i] += g * (x[row * n + i] - mu) * rstd
                    gradBias?[i] += g
                }
            }
        }
    }
}
