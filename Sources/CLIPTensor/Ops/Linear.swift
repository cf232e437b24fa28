// A fully connected layer as one op: the bias (and a residual, when given) is written into the
// output first, in parallel, and the GEMM accumulates onto it (beta = 1), saving a pass over the
// output and an allocation per residual connection.
// Legend: R rows (all leading axes folded), I input features, O output features.

/// `residual + x · weightᵀ + bias`, as `residual + torch.nn.functional.linear(x, weight, bias)`:
/// `x` is `[…, I]`, `weight` `[O, I]` (PyTorch's layout), `bias` `[O]`, `residual` `[…, O]`.
///
/// With a `packing` cache, products that record no gradient use the weight as the cache holds it:
/// converted to the cache's bf16 or int8 precision, or in f32 packed once for the few-row kernels
/// when the product has few rows (see `PackedWeightCache`). Inside `withBF16Products` the products,
/// forward and backward, multiply bf16-rounded operands instead (mixed-precision training).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, addingTo residual: Tensor? = nil,
                   packing: PackedWeightCache? = nil) -> Tensor {
    precondition(weight.rank == 2, "linear weight must be [out, in], got \(Shape.describe(weight.shape))")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    precondition(x.shape.last == inFeatures, "linear input \(Shape.describe(x.shape)) for weight \(Shape.describe(weight.shape))")
    if let bias { precondition(bias.shape == [outFeatures], "linear bias \(Shape.describe(bias.shape)) for \(outFeatures) outputs") }
    let rows = x.count / max(inFeatures, 1)
    let outShape = Array(x.shape.dropLast()) + [outFeatures]
    if let residual { precondition(residual.shape == outShape, "residual \(Shape.describe(residual.shape)) for output \(Shape.describe(outShape))") }
    let out = Tensor.uninitialized(outShape)
    let mixed = Autocast.isBF16
    let (input, kernel, offset) = (x.productOperand, weight.productOperand, bias?.productOperand)
    withExtendedLifetime((input, kernel, offset, residual)) {
        let (target, biasPointer, residualPointer) = (out.pointer, offset?.pointer, residual?.pointer)
        if bias != nil || residual != nil {
            Parallel.forEachChunk(rows, grain: max(1, elementwiseGrain / max(outFeatures, 1))) { range in
                for row in range {
                    let line = target + row * outFeatures
                    switch (biasPointer, residualPointer) {
                    case let (b?, r?): mapVectors(b, r + row * outFeatures, line, outFeatures) { $0 + $1 }
                    case let (b?, nil): line.update(from: b, count: outFeatures)
                    case let (nil, r?): line.update(from: r + row * outFeatures, count: outFeatures)
                    default: break
                    }
                }
            }
        }
        let beta: Float = bias == nil && residual == nil ? 0 : 1
        let recordsGradient = GradMode.isEnabled && (x.requiresGrad || weight.requiresGrad)
        if mixed {
            GEMM.multiply(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: input.pointer, b: kernel.pointer,
                          beta: beta, c: out.pointer)  // bf16-rounded [R, I]·[O, I]ᵀ, f32 sums
        } else if let packing, !recordsGradient, let converted = packing.lowPrecisionWeight(for: weight) {
            GEMM.multiply(m: rows, a: x.pointer, lowPrecision: converted, beta: beta, c: out.pointer)
        } else if let packing, rows <= GEMM.packedRowLimit, !recordsGradient, let packed = packing.packedWeight(for: weight) {
            GEMM.multiply(m: rows, a: x.pointer, packed: packed, beta: beta, c: out.pointer)
        } else {
            GEMM.multiply(transposeB: true, m: rows, n: outFeatures, k: inFeatures, a: x.pointer, b: weight.pointer,
                          beta: beta, c: out.pointer)  // [R, I]·[O, I]ᵀ
        }
    }
    let inputs = [x, weight] + [bias, residual].compactMap { $0 }
    return out.recordingGradient(of: inputs) { g in
        var grads: [Tensor?] = []
        let product = mixed ? g.roundedToBF16() : g
        withExtendedLifetime((g, product, input, kernel)) {
            if x.requiresGrad {
                let gradX = Tensor.uninitialized(x.shape)
                GEMM.multiply(m: rows, n: inFeatures, k: outFeatures, a: product.pointer, b: kernel.pointer, c: gradX.pointer)  // dY·W
                grads.append(gradX)
            } else {
                grads.append(nil)
            }
            if weight.requiresGrad {
                let gradW = Tensor.uninitialized(weight.shape)
                GEMM.multiply(transposeA: true, m: outFeatures, n: inFeatures, k: rows, a: product.pointer, b: input.pointer, c: gradW.pointer)  // dYᵀ·X
                grads.append(gradW)
            } else {
                grads.append(nil)
            }
            if let bias { grads.append(bias.requiresGrad ? g.reshaped([rows, outFeatures]).sum(alongAxis: 0) : nil) }
            if let residual { grads.append(residual.requiresGrad ? g : nil) }
        }
        return grads
    }
}
