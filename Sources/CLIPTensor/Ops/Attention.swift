// Scaled dot-product attention, fused: one [Lq, Lk] probability matrix per (batch, head), kept for
// backward. Legend: B batch·heads (any leading axes), Lq queries, Lk keys, D head width, Dv value width.

/// `softmax(scale · Q·Kᵀ + mask) · V` over the last two axes, as
/// `torch.nn.functional.scaled_dot_product_attention`.
///
/// - Parameters:
///   - query: `[…, Lq, D]`; `key`: `[…, Lk, D]`; `value`: `[…, Lk, Dv]`, equal leading axes.
///   - causal: hide key j from query i when j > i (needs Lq == Lk). Hidden positions get exactly
///     zero weight.
///   - mask: optional additive mask `[Lq, Lk]`, shared by every batch and head (no gradient).
///   - scale: defaults to 1/√D.
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, causal: Bool = false,
                                      mask: Tensor? = nil, scale: Float? = nil) -> Tensor {
    precondition(query.rank >= 2 && key.rank == query.rank && value.rank == query.rank,
                 "attention needs equal ranks ≥ 2: \(Shape.describe(query.shape)), \(Shape.describe(key.shape)), \(Shape.describe(value.shape))")
    let lead = Array(query.shape.dropLast(2))
    precondition(Array(key.shape.dropLast(2)) == lead && Array(value.shape.dropLast(2)) == lead,
                 "attention leading axes differ")
    let (lq, d) = (query.shape[query.rank - 2], query.shape[query.rank - 1])
    let (lk, dk) = (key.shape[key.rank - 2], key.shape[key.rank - 1])
    let (lv, dv) = (value.shape[value.rank - 2], value.shape[value.rank - 1])
    precondition(d == dk && lk == lv, "attention shapes disagree: Q \(Shape.describe(query.shape)), K \(Shape.describe(key.shape)), V \(Shape.describe(value.shape))")
    precondition(!causal || lq == lk, "causal attention needs as many queries as keys")
    if let mask { precondition(mask.shape == [lq, lk], "attention mask \(Shape.describe(mask.shape)) for [\(lq), \(lk)]") }
    let scale = scale ?? 1 / Float(d).squareRoot()
    let batch = Shape.count(lead)

    let probabilities = Tensor.uninitialized(lead + [lq, lk])   // [B, Lq, Lk]
    let out = Tensor.uninitialized(lead + [lq, dv])              // [B, Lq, Dv]
    let q = query.pointer, k = key.pointer, v = value.pointer, p = probabilities.pointer, o = out.pointer
    let maskPointer = mask?.pointer
    withExtendedLifetime((query, key, value, mask)) {
        Parallel.forEachChunkWithSerialGEMM(batch, grain: 1) { range, gemm in
            for b in range {
                let pb = p + b * lq * lk
                gemm.multiply(transposeB: true, m: lq, n: lk, k: d, alpha: scale,
                              a: q + b * lq * d, b: k + b * lk * d, c: pb)         // [Lq, D]·[Lk, D]ᵀ
                for row in 0..<lq {
                    let scores = pb + row * lk
                    if let maskPointer {
                        mapVectors(scores, maskPointer + row * lk, scores, lk) { $0 + $1 }
                    }
                    let visible = causal ? row + 1 : lk
                    SoftmaxKernels.softmaxRow(scores, scores, visible)
                    if visible < lk { (scores + visible).update(repeating: 0, count: lk - visible) }
                }
                gemm.multiply(m: lq, n: dv, k: lk, a: pb, b: v + b * lk * dv, c: o + b * lq * dv)  // [Lq, Lk]·[Lk, Dv]
            }
        }
    }
    return out.recordingGradient(of: [query, key, value]) { g in
        let (q, k, v, p) = (query.pointer, key.pointer, value.pointer, probabilities.pointer)
        let gradQ = Tensor.uninitialized(query.shape)
        let gradK = Tensor.uninitialized(key.shape)
        let gradV = Tensor.uninitialized(value.shape)
        withExtendedLifetime((g, probabilities, query, key, value)) {
            Parallel.forEachChunkWithSerialGEMM(batch, grain: 1) { range, gemm in
                let dP = UnsafeMutablePointer<Float>.allocate(capacity: lq * lk)
                defer { dP.deallocate() }
                for b in range {
                    let pb = p + b * lq * lk, gb = g.pointer + b * lq * dv
                    // dV = Pᵀ·dO;  dP = dO·Vᵀ;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = s·dS·K;  dK = s·dSᵀ·Q
                    gemm.multiply(transposeA: true, m: lk, n: dv, k: lq, a: pb, b: gb, c: gradV.pointer + b * lk * dv)
                    gemm.multiply(transposeB: true, m: lq, n: lk, k: dv, a: gb, b: v + b * lk * dv, c: dP)
                    SoftmaxKernels.softmaxBackward(pb, dP, dP, rows: lq, length: lk)
                    gemm.multiply(m: lq, n: d, k: lk, alpha: scale, a: dP, b: k + b * lk * d, c: gradQ.pointer + b * lq * d)
                    gemm.multiply(transposeA: true, m: lk, n: d, k: lq, alpha: scale, a: dP, b: q + b * lq * d,
                                  c: gradK.pointer + b * lk * d)
                }
            }
        }
        return [query.requiresGrad ? gradQ : nil, key.requiresGrad ? gradK : nil, value.requiresGrad ? gradV : nil]
    }
}
