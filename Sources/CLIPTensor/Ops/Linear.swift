// A fully connected layer as one op: the bias is written into the output first and the GEMM
// accumulates onto it (beta = 1), saving a pass over the output.
// Legend: R rows (all leading axes folded), I input features, O output features.

/// `x · weightᵀ + bias`, as `torch.nn.functional.linear`: `x` is `[…, I]`, `weight` `[O, I]`
/// (PyTorch's layout), `bias` `[O]`.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(weight.rank == 2, "linear weight must be [out, in], got \(Shape.describe(weight.shape))")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    precondition(x.shape.last == inFeatures, "linear input \(Shape.describe(x.shape)) for weight \(Shape.describe(weight.shape))")
    if let bias { precondition(bias.shape == [outFeatures], "linear bias \(Shape.describe(bias.shape)) for \(outFeatures) outputs") }
    let rows = x.count / max(inFeatures, 1)
    let out = Tensor.uninitialized(Array(x.shape.dropLast()) + [outFeatures])
    withExtendedLifetime((x, weight, bias)) {
        if let bias {
            for row in 0..<rows { (out.pointer + row * outFeatures).update(from: bias.pointer, count: outFeatures) }
        }
        GEMM.multiply(transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                      a: x.pointer, b: weight.pointer, beta: bias == nil ? 0 : 1, c: out.pointer)  // [R, I]·[O, I]ᵀ
    }
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    return out.recordingGradient(of: inputs) { g in
        var grads: [Tensor?] = []
        withExtendedLifetime(g) {
            if x.requiresGrad {
                let gradX = Tensor.uninitialized(x.shape)
                GEMM.multiply(m: rows, n: inFeatures, k: outFeatures, a: g.pointer, b: weight.pointer, c: gradX.pointer)  // dY·W
                grads.append(gradX)
            } else {
                grads.append(nil)
            }
            if weight.requiresGrad {
                let gradW = Tensor.uninitialized(weight.shape)
                GEMM.multiply(transposeA: true, m: outFeatures, n: inFeatures, k: rows, a: g.pointer, b: x.pointer, c: gradW.pointer)  // dYᵀ·X
                grads.append(gradW)
            } else {
                grads.append(nil)
            }
            if let bias { grads.append(bias.requiresGrad ? g.reshaped([rows, outFeatures]).sum(alongAxis: 0) : nil) }
        }
        return grads
    }
}
