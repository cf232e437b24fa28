import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// Forward values on small hand-computed cases (formulas evaluated in Double here).
@Suite("Op forward values")
struct OpsForwardTests {
    @Test("softmax of [1, 2, 3] and a row of equal values")
    func softmaxValues() {
        let s = softmax(Tensor([[1, 2, 3], [5, 5, 5]])).scalars
        let total = exp(1.0) + exp(2.0) + exp(3.0)
        let expected = [exp(1.0) / total, exp(2.0) / total, exp(3.0) / total, 1.0 / 3, 1.0 / 3, 1.0 / 3].map(Float.init)
        expectClose(s, expected, tolerance: 1e-6)
    }

    @Test("softmax stays finite for large logits")
    func softmaxLargeLogits() {
        #expect(softmax(Tensor([[1000, 1000, -1000]])).scalars == [0.5, 0.5, 0])
    }

    @Test("cross-entropy equals −log softmax at the target")
    func crossEntropyValue() {
        let loss = crossEntropy(Tensor([[2, 0, 0]]), targets: [0]).item()
        let expected = -log(exp(2.0) / (exp(2.0) + 2))
        #expect(abs(Double(loss) - expected) < 1e-6)
    }

    @Test("layer norm of [1, 2, 3, 4] without affine parameters")
    func layerNormValue() {
        let y = layerNorm(Tensor([[1, 2, 3, 4]]), weight: nil, bias: nil).scalars
        let std = (1.25 + 1e-5).squareRoot()
        let expected = [-1.5, -0.5, 0.5, 1.5].map { Float($0 / std) }
        expectClose(y, expected, tolerance: 1e-6)
    }

    @Test("GELU matches x·Φ(x) with erf over a wide range", arguments: [Float(-12), -5, -3, -1, -0.1, 0, 0.1, 1, 3, 5, 12])
    func geluValue(_ x: Float) {
        let y = gelu(Tensor([x])).item()
        let expected = Double(x) * 0.5 * (1 + erf(Double(x) / 2.0.squareRoot()))
        #expect(abs(Double(y) - expected) <= 1e-6 + 1e-6 * abs(expected), "GELU(\(x)) = \(y), expected \(expected)")
    }

    @Test("QuickGELU matches x·σ(1.702x)", arguments: [Float(-20), -3, -0.5, 0, 0.5, 3, 20])
    func quickGELUValue(_ x: Float) {
        let y = quickGELU(Tensor([x])).item()
        let expected = Double(x) / (1 + exp(-1.702 * Double(x)))
        #expect(abs(Double(y) - expected) <= 1e-6 + 1e-6 * abs(expected))
    }

    @Test("tanh GELU matches 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))", arguments: [Float(-20), -3, -0.5, 0, 0.5, 3, 20])
    func geluTanhValue(_ x: Float) {
        let y = geluTanh(Tensor([x])).item()
        let u = (2 / Double.pi).squareRoot() * (Double(x) + 0.044715 * pow(Double(x), 3))
        let expected = 0.5 * Double(x) * (1 + tanh(u))
        #expect(abs(Double(y) - expected) <= 1e-6 + 1e-6 * abs(expected), "geluTanh(\(x)) = \(y), expected \(expected)")
    }

    @Test("exp is accurate across the float range")
    func expAccuracy() {
        let xs: [Float] = stride(from: -100, through: 100, by: 0.37).map { Float($0) }
        let ys = exp(Tensor(xs)).scalars
        for (x, y) in zip(xs, ys) {
            let expected = Foundation.exp(Double(x))
            if x < -87.3 { #expect(y == 0) } else if x > 88.3 { #expect(y == .infinity) } else {
                #expect(abs(Double(y) - expected) <= 4e-7 * expected, "exp(\(x)) = \(y), expected \(expected)")
            }
        }
    }

    @Test("L2 normalisation gives unit rows")
    func l2NormalizeValue() {
        #expect(l2Normalize(Tensor([[3, 4], [0, 0]])).scalars == [0.6, 0.8, 0, 0])
    }

    @Test("matmul of 2×3 and 3×2")
    func matmulValue() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let b = Tensor([[7, 8], [9, 10], [11, 12]])
        #expect(matmul(a, b).scalars == [58, 64, 139, 154])
        #expect(matmul(a, b.transposed(), transposeB: true).scalars == [58, 64, 139, 154])
        #expect(matmul(a.transposed(), b, transposeA: true).scalars == [58, 64, 139, 154])
    }

    @Test("causal attention gives the first query only the first value")
    func causalAttention() {
        let q = Tensor.normal([1, 3, 4], seed: 1)
        let k = Tensor.normal([1, 3, 4], seed: 2)
        let v = Tensor(shape: [1, 3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let out = scaledDotProductAttention(query: q, key: k, value: v, causal: true)
        #expect(out[0, 0, 0] == 1 && out[0, 0, 1] == 2)
    }

    @Test("conv2d of a 1×1×3×3 image with a 2×2 kernel")
    func conv2dValue() {
        let x = Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
        #expect(conv2d(x, weight: w).scalars == [-4, -4, -4, -4])
        let padded = conv2d(x, weight: w, bias: Tensor([10]), stride: (2, 2), padding: (1, 1))
        #expect(padded.shape == [1, 1, 2, 2])
        #expect(padded.scalars == [9, 7, 3, 6])
    }

    @Test("average pooling of a 4×4 plane")
    func avgPoolValue() {
        let x = Tensor.arange(16).reshaped([1, 1, 4, 4])
        #expect(avgPool2d(x, kernel: (2, 2)).scalars == [2.5, 4.5, 10.5, 12.5])
    }

    @Test("embedding looks up rows")
    func embeddingValue() {
        let w = Tensor([[0, 1], [2, 3], [4, 5]])
        let e = embedding(w, indices: [2, 0], shape: [1, 2])
        #expect(e.shape == [1, 2, 2])
        #expect(e.scalars == [4, 5, 0, 1])
    }
}

/// GEMM paths chosen by shape (few-row blocking, row and column splits over threads) against a
/// double-precision sum.
@Suite("GEMM paths")
struct GEMMPathTests {
    /// Float32 dot products of length ≤ 3072 with values of order 1: errors stay near
    /// √k · 2⁻²⁴ · max|term| ≈ 1e-5 relative to the output scale.
    static let tolerance: Float = 1e-4

    @Test("products of every shape class equal a double-precision reference",
          arguments: [(10, 1536, 512, true), (50, 2304, 768, true), (50, 768, 3072, true), (10, 512, 2048, false),
                      (300, 64, 700, true), (40, 700, 300, false), (1, 37, 5, true)])
    func product(_ m: Int, _ n: Int, _ k: Int, _ transposeB: Bool) {
        let a = Tensor.normal([m, k], seed: 1)
        let b = Tensor.normal(transposeB ? [n, k] : [k, n], seed: 2)
        let c = matmul(a, b, transposeB: transposeB).scalars
        let (av, bv) = (a.scalars, b.scalars)
        var worst: Float = 0
        for i in stride(from: 0, to: m, by: max(1, m / 7)) {
            for j in stride(from: 0, to: n, by: max(1, n / 13)) {
                var sum = 0.0
                for p in 0..<k { sum += Double(av[i * k + p]) * Double(transposeB ? bv[j * k + p] : bv[p * n + j]) }
                worst = max(worst, abs(Float(sum) - c[i * n + j]) / Float(k).squareRoot())
            }
        }
        #expect(worst < Self.tolerance, "\(m)×\(n)×\(k): scaled error \(worst)")
    }
}
