// Softmax, log-softmax and cross-entropy: fused kernels with hand-written backward passes.

/// Runs a last-axis op on `axis` by moving that axis last and back.
private func alongAxis(_ x: Tensor, _ axis: Int, _ op: (Tensor) -> Tensor) -> Tensor {
    let axis = Shape.normalize(axis: axis, rank: x.rank)
    if axis == x.rank - 1 { return op(x) }
    return op(x.transposed(axis, -1)).transposed(axis, -1)
}

/// Kernel signature shared by the row-wise softmax ops: input, output, rows, row length.
private typealias RowKernel = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
/// Backward signature: forward output, output gradient, input gradient, rows, row length.
private typealias RowBackwardKernel = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void

/// A row-wise op over the last axis whose backward needs only its own output.
private func rowwise(_ x: Tensor, _ forward: RowKernel, _ backward: @escaping RowBackwardKernel) -> Tensor {
    let n = x.shape.last ?? 1
    let rows = x.count / Swift.max(n, 1)
    let out = Tensor.uninitialized(x.shape)
    forward(x.pointer, out.pointer, rows, n)
    let result = out.detached()
    return out.recordingGradient(of: [x]) { g in
        let grad = Tensor.uninitialized(x.shape)
        withExtendedLifetime(g) { backward(result.pointer, g.pointer, grad.pointer, rows, n) }
        return [grad]
    }
}

/// Softmax along `axis` (default: the last), computed stably.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    alongAxis(x, axis) { x in
        rowwise(x, { SoftmaxKernels.softmax($0, $1, rows: $2, length: $3) },
                { SoftmaxKernels.softmaxBackward($0, $1, $2, rows: $3, length: $4) })
    }
}

/// Log-softmax along `axis` (default: the last), computed stably.
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    alongAxis(x, axis) { x in
        rowwise(x, { SoftmaxKernels.logSoftmax($0, $1, rows: $2, length: $3) },
                { SoftmaxKernels.logSoftmaxBackward($0, $1, $2, rows: $3, length: $4) })
    }
}

/// Mean cross-entropy of `logits` `[N, C]` against class indices `targets` (N of them), as
/// `torch.nn.functional.cross_entropy`: −mean(log_softmax(logits)[i, targets[i]]).
public func crossEntropy(_ logits: Tensor, targets: [Int]) -> Tensor {
    precondition(logits.rank == 2, "crossEntropy expects [N, C] logits, got \(Shape.describe(logits.shape))")
    let (rows, classes) = (logits.shape[0], logits.shape[1])
    precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows")
    precondition(targets.allSatisfy { $0 >= 0 && $0 < classes }, "target out of range 0..<\(classes)")
    let logProbabilities = Tensor.uninitialized(logits.shape)
    SoftmaxKernels.logSoftmax(logits.pointer, logProbabilities.pointer, rows: rows, length: classes)
    var total: Double = 0
    for (row, target) in targets.enumerated() { total -= Double(logProbabilities.pointer[row * classes + target]) }
    let loss = Tensor(Float(total / Double(Swift.max(rows, 1))))
    return loss.recordingGradient(of: [logits]) { g in
        // d/dlogits = (softmax − one-hot) · g / N
        let scale = g.item() / Float(Swift.max(rows, 1))
        let grad = Tensor.uninitialized(logits.shape)
        UnaryKernels.map(ScaledExponential(scale), logProbabilities.pointer, grad.pointer, grad.count)
        for (row, target) in targets.enumerated() { grad.pointer[row * classes + target] -= scale }
        return [grad]
    }
}
