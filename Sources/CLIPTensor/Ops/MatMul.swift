// Matrix products through BLAS. Legend: B batch dims, M rows, K inner, N columns.

/// Products smaller than this many multiply-adds run one per thread inside a batch fan-out;
/// larger ones run one after another, each split over every thread.
let smallGEMMWork = GEMM.parallelWork

/// Matrix product `op(a) · op(b)`, where `op` transposes the last two axes when its flag is set.
///
/// - `a` is `[…, M, K]` (or `[…, K, M]` transposed); `b` is `[K, N]` (or `[N, K]` transposed), or
///   batched `[…, K, N]` with the same leading axes as `a`.
/// - A 2-D `b` is shared by every matrix of `a`: the leading axes of `a` are folded into M and the
///   whole batch runs as one large GEMM.
/// - Transposes never copy: the flags go to `cblas_sgemm`. A linear layer is
///   `matmul(x, weight, transposeB: true)` with `weight` stored `[out, in]` as in PyTorch.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank ≥ 2, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(k == kb, "matmul inner sizes differ: \(Shape.describe(a.shape))\(transposeA ? "ᵀ" : "") · \(Shape.describe(b.shape))\(transposeB ? "ᵀ" : "")")
    let batchShape = Array(a.shape[..<(a.rank - 2)])
    let batch = Shape.count(batchShape)
    if b.rank > 2 {
        precondition(Array(b.shape[..<(b.rank - 2)]) == batchShape,
                     "batched matmul needs equal leading axes: \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
    }
    let out = Tensor.uninitialized(batchShape + [m, n])
    let mixed = Autocast.isBF16
    let (left, right) = (a.productOperand, b.productOperand)
    withExtendedLifetime((left, right)) {
        if b.rank == 2 && !transposeA {
            GEMM.multiply(transposeB: transposeB, m: batch * m, n: n, k: k,
                          a: left.pointer, b: right.pointer, c: out.pointer)  // [B·M, K] · [K, N]
        } else {
            batchedGEMM(batch: batch, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                        a: left.pointer, strideA: m * k, b: right.pointer, strideB: b.rank == 2 ? 0 : k * n,
                        c: out.pointer)
        }
    }
    return out.recordingGradient(of: [a, b]) { g in
        withBF16Products(enabled: mixed) { matmulGradients(g, left, right, requiring: (a.requiresGrad, b.requiresGrad),
                                                           transposeA: transposeA, transposeB: transposeB) }
    }
}

/// The gradients of `op(a)·op(b)` for the output gradient `g`; `requiring` says which are wanted.
private func matmulGradients(_ g: Tensor, _ a: Tensor, _ b: Tensor, requiring: (a: Bool, b: Bool),
                             transposeA: Bool, transposeB: Bool) -> [Tensor?] {
    let (m, k) = transposeA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    let batch = Shape.count(Array(a.shape[..<(a.rank - 2)]))
    // C = op(A)·op(B):  dop(A) = dC·op(B)ᵀ,  dop(B) = op(A)ᵀ·dC.
    var gradA: Tensor? = nil
    if requiring.a {
        if !transposeA {
            gradA = matmul(g, b, transposeB: !transposeB)
        } else if b.rank == 2 {
            gradA = matmul(g, b, transposeB: !transposeB).permutedLastTwo()  // (dC·op(B)ᵀ)ᵀ
        } else {
            gradA = matmul(b, g, transposeA: transposeB, transposeB: true)
        }
    }
    var gradB: Tensor? = nil
    if requiring.b {
        if b.rank == 2 {
            // Fold the batch: Σ over matrices of op(A)ᵀ·dC is one GEMM over [B·M, …].
            let foldedG = g.reshaped([batch * m, n])
            let foldedA = transposeA ? a.permutedLastTwo().reshaped([batch * m, k]) : a.reshaped([batch * m, k])
            gradB = transposeB ? matmul(foldedG, foldedA, transposeA: true)
                               : matmul(foldedA, foldedG, transposeA: true)
        } else {
            gradB = transposeB ? matmul(g, a, transposeA: true, transposeB: transposeA)
                               : matmul(a, g, transposeA: !transposeA)
        }
    }
    return [gradA, gradB]
}

/// Batched matrix product of `[…, M, K]` and `[…, K, N]` with equal leading axes.
public func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == b.rank, "batchedMatmul needs equal ranks, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
    return matmul(a, b, transposeA: transposeA, transposeB: transposeB)
}

/// `batch` GEMMs `C_i = op(A_i)·op(B_i)`; `strideB` 0 shares one B. Small products are spread over
/// threads (each single-threaded in BLAS), large ones use every BLAS thread in turn.
func batchedGEMM(batch: Int, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>) {
    if batch > 1 && m * n * k < smallGEMMWork {
        Parallel.forEachChunkWithSerialGEMM(batch, grain: 1) { range, gemm in
            for i in range {
                gemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: a + i * strideA, b: b + i * strideB, beta: beta, c: c + i * m * n)
            }
        }
    } else {
        for i in 0..<batch {
            GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                          a: a + i * strideA, b: b + i * strideB, beta: beta, c: c + i * m * n)
        }
    }
}

extension Tensor {
    /// The last two axes swapped (a copy).
    func permutedLastTwo() -> Tensor { transposed(-2, -1) }
}

/// `op(a) · op(b)` written into `output` (2-D operands), reusing its storage: for hot loops and
/// benchmarks. Not recorded for autograd.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, into output: Tensor) {
    precondition(a.rank == 2 && b.rank == 2, "matmul(into:) takes matrices")
    precondition(!Tensor.shouldRecord([a, b]), "matmul(into:) cannot record gradients; use matmul(_:_:) or withNoGrad")
    let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition((transposeB ? b.shape[1] : b.shape[0]) == k && output.shape == [m, n],
                 "matmul(into:) shapes disagree: \(Shape.describe(a.shape)), \(Shape.describe(b.shape)) → \(Shape.describe(output.shape))")
    GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.pointer, b: b.pointer, c: output.pointer)
}
