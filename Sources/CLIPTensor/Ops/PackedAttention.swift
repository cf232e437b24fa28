// Multi-head self-attention reading q, k and v straight out of the packed in-projection output, as
// `nn.MultiheadAttention` with a fused `in_proj_weight` produces it. Strided GEMMs (leading dimension
// 3·D) address each head's columns, so no head split or merge is ever copied.
// Legend: B batch, L tokens, D width, H heads, Dh = D / H.

/// Self-attention over `qkv` `[B, L, 3·D]` (q, k, v blocks of width D, heads contiguous inside each)
/// returning `[B, L, D]` with the heads concatenated, as `F.multi_head_attention_forward` does before
/// its output projection. Scale 1/√Dh; `causal` hides later tokens (they get exactly zero weight).
/// `keyMask` (`B·L` flags, true where a token may be attended to) hides padding keys of each
/// sequence, as an attention mask of 0 and −∞ does in PyTorch; a sequence with no visible key
/// attends to all of them rather than producing NaN.
public func packedSelfAttention(_ qkv: Tensor, heads: Int, causal: Bool = false, keyMask: [Bool]? = nil) -> Tensor {
    precondition(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "packed attention expects [B, L, 3·D], got \(Shape.describe(qkv.shape))")
    let (batch, length, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    precondition(keyMask == nil || keyMask!.count == batch * length, "key mask of \(keyMask!.count) flags for \(batch)×\(length) tokens")
    let hiddenKeys: [[Int]] = (0..<batch).map { b in
        guard let keyMask else { return [] }
        let hidden = (0..<length).filter { !keyMask[b * length + $0] }
        return hidden.count == length ? [] : hidden
    }
    precondition(heads > 0 && width % heads == 0, "width \(width) is not divisible into \(heads) heads")
    let headWidth = width / heads
    let scale = 1 / Float(headWidth).squareRoot()
    let rowStride = 3 * width
    let probabilities = Tensor.uninitialized([batch * heads, length, length])
    let out = Tensor.uninitialized([batch, length, width])
    let (source, p, o) = (qkv.pointer, probabilities.pointer, out.pointer)
    withExtendedLifetime(qkv) {
        Parallel.forEachChunkWithSerialGEMM(batch * heads, grain: 1) { range, gemm in
            for index in range {
                let (b, h) = (index / heads, index % heads)
                let q = source + b * length * rowStride + h * headWidth
                let (k, v) = (q + width, q + 2 * width)
                let scores = p + index * length * length
                gemm.multiply(transposeB: true, m: length, n: length, k: headWidth, alpha: scale,
                              a: q, lda: rowStride, b: k, ldb: rowStride, c: scores)            // [L, Dh]·[L, Dh]ᵀ
                for row in 0..<length {
                    for key in hiddenKeys[b] { scores[row * length + key] = -.infinity }
                    let visible = causal ? row + 1 : length
                    SoftmaxKernels.softmaxRow(scores + row * length, scores + row * length, visible)
                    if visible < length { (scores + row * length + visible).update(repeating: 0, count: length - visible) }
                }
                gemm.multiply(m: length, n: headWidth, k: length, a: scores, b: v, ldb: rowStride,
                              c: o + b * length * width + h * headWidth, ldc: width)            // [L, L]·[L, Dh]
            }
        }
    }
    return out.recordingGradient(of: [qkv]) { g in
        let grad = Tensor.uninitialized(qkv.shape)
        withExtendedLifetime((g, probabilities, qkv)) {
            let (source, p, dOut, dSource) = (qkv.pointer, probabilities.pointer, g.pointer, grad.pointer)
            Parallel.forEachChunkWithSerialGEMM(batch * heads, grain: 1) { range, gemm in
                let dScores = UnsafeMutablePointer<Float>.allocate(capacity: length * length)
                defer { dScores.deallocate() }
                for index in range {
                    let (b, h) = (index / heads, index % heads)
                    let offset = b * length * rowStride + h * headWidth
                    let (q, k, v) = (source + offset, source + offset + width, source + offset + 2 * width)
                    let (dq, dk, dv) = (dSource + offset, dSource + offset + width, dSource + offset + 2 * width)
                    let scores = p + index * length * length
                    let dO = dOut + b * length * width + h * headWidth
                    // dV = Pᵀ·dO;  dP = dO·Vᵀ;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = s·dS·K;  dK = s·dSᵀ·Q
                    gemm.multiply(transposeA: true, m: length, n: headWidth, k: length, a: scores, b: dO, ldb: width, c: dv, ldc: rowStride)
                    gemm.multiply(transposeB: true, m: length, n: length, k: headWidth, a: dO, lda: width, b: v, ldb: rowStride, c: dScores)
                    SoftmaxKernels.softmaxBackward(scores, dScores, dScores, rows: length, length: length)
                    gemm.multiply(m: length, n: headWidth, k: length, alpha: scale, a: dScores, b: k, ldb: rowStride, c: dq, ldc: rowStride)
                    gemm.multiply(transposeA: true, m: length, n: headWidth, k: length, alpha: scale, a: dScores, b: q, ldb: rowStride,
                                  c: dk, ldc: rowStride)
                }
            }
        }
        return [grad]
    }
}
