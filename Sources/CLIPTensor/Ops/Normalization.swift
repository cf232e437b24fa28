// Layer normalisation and L2 normalisation over the last axis.

/// Layer normalisation over the last axis, as `torch.nn.functional.layer_norm` (biased variance,
/// ε inside the square root). `weight` and `bias` have the size of the last axis.
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
    let n = x.shape.last ?? 1
    let rows = x.count / Swift.max(n, 1)
    if let weight { precondition(weight.shape == [n], "layerNorm weight \(Shape.describe(weight.shape)) for width \(n)") }
    if let bias { precondition(bias.shape == [n], "layerNorm bias \(Shape.describe(bias.shape)) for width \(n)") }
    let out = Tensor.uninitialized(x.shape)
    let mean = Tensor.uninitialized([rows])
    let inverseStd = Tensor.uninitialized([rows])
    withExtendedLifetime((weight, bias)) {
        LayerNormKernels.forward(x.pointer, out.pointer, rows: rows, length: n,
                                 weight: weight?.pointer, bias: bias?.pointer, epsilon: epsilon,
                                 mean: mean.pointer, inverseStd: inverseStd.pointer)
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return out.recordingGradient(of: inputs) { g in
        var grads: [Tensor?] = []
        withExtendedLifetime((g, weight)) {
            if x.requiresGrad {
                let gradX = Tensor.uninitialized(x.shape)
                LayerNormKernels.backwardInput(x.pointer, g.pointer, gradX.pointer, rows: rows, length: n,
                                               weight: weight?.pointer, mean: mean.pointer, inverseStd: inverseStd.pointer)
                grads.append(gradX)
            } else {
                grads.append(nil)
            }
            let gradWeight = weight?.requiresGrad == true ? Tensor.uninitialized([n]) : nil
            let gradBias = bias?.requiresGrad == true ? Tensor.uninitialized([n]) : nil
            if gradWeight != nil || gradBias != nil {
                LayerNormKernels.backwardParameters(x.pointer, g.pointer, rows: rows, length: n,
                                                    mean: mean.pointer, inverseStd: inverseStd.pointer,
                                                    gradWeight: gradWeight?.pointer, gradBias: gradBias?.pointer)
            }
            if weight != nil { grads.append(gradWeight) }
            if bias != nil { grads.append(gradBias) }
        }
        return grads
    }
}

/// Each row of the last axis divided by its L2 norm, as `F.normalize(x, dim=-1)`:
/// x / max(‖x‖, ε).
public func l2Normalize(_ x: Tensor, epsilon: Float = 1e-12) -> Tensor {
    let n = x.shape.last ?? 1
    let rows = x.count / Swift.max(n, 1)
    let out = Tensor.uninitialized(x.shape)
    let norms = Tensor.uninitialized([rows])
    Parallel.forEachChunk(rows, grain: Swift.max(1, SoftmaxKernels.grain / Swift.max(n, 1))) { range in
        for row in range {
            let input = x.pointer + row * n
            let norm = Swift.max(SoftmaxKernels.rowDot(input, input, n).squareRoot(), epsilon)
            norms.pointer[row] = norm
            let scale = Vec(repeating: 1 / norm)
            mapVectors(input, out.pointer + row * n, n) { $0 * scale }
        }
    }
    let result = out.detached()
    return out.recordingGradient(of: [x]) { g in
        // dx = (dy − y · (y·dy)) / ‖x‖; where ‖x‖ < ε the denominator was the constant ε: dx = dy / ε.
        let grad = Tensor.uninitialized(x.shape)
        withExtendedLifetime(g) {
            for row in 0..<rows {
                let y = result.pointer + row * n, dy = g.pointer + row * n
                let norm = norms.pointer[row]
                let clamped = norm <= epsilon
                let dot = Vec(repeating: clamped ? 0 : SoftmaxKernels.rowDot(y, dy, n))
                let inverse = Vec(repeating: 1 / norm)
                mapVectors(y, dy, grad.pointer + row * n, n) { ($1 - $0 * dot) * inverse }
            }
        }
        return [grad]
    }
}
