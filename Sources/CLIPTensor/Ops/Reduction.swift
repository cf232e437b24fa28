// Reductions: sum, mean, max, argmax.

extension Tensor {
    /// The sum of every element, as a rank-0 tensor.
    public func sum() -> Tensor {
        sum(alongAxes: Array(0..<rank), keepingDimensions: false)
    }

    /// The sum along `axis`.
    public func sum(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keep)
    }

    /// The sum along several axes (negative axes count from the end).
    public func sum(alongAxes axes: [Int], keepingDimensions keep: Bool = false) -> Tensor {
        let resolved = Set(axes.map { Shape.normalize(axis: $0, rank: rank) })
        var keptShape = shape
        for axis in resolved { keptShape[axis] = 1 }
        var current = self.detached()
        // Reduce one axis at a time, largest first, over the contiguous [outer, n, inner] view.
        for axis in resolved.sorted(by: >) where current.shape[axis] != 1 {
            let outer = Shape.count(Array(current.shape[..<axis]))
            let n = current.shape[axis]
            let inner = Shape.count(Array(current.shape[(axis + 1)...]))
            var reducedShape = current.shape
            reducedShape[axis] = 1
            let reduced = Tensor.uninitialized(reducedShape)
            withExtendedLifetime(current) {
                ReductionKernels.sum(current.pointer, outer: outer, n: n, inner: inner, into: reduced.pointer)
            }
            current = reduced
        }
        if current.sharesStorage(with: self) { current = current.copied() }
        let finalShape = keep ? keptShape : shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
        let out = current.reshaped(finalShape)
        let inputShape = shape
        return out.recordingGradient(of: [self]) { g in
            [g.reshaped(keptShape).expanded(to: inputShape)]
        }
    }

    /// The mean of every element, as a rank-0 tensor.
    public func mean() -> Tensor {
        sum() / Float(Swift.max(count, 1))
    }

    /// The mean along `axis`.
    public func mean(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keep)
    }

    /// The mean along several axes.
    public func mean(alongAxes axes: [Int], keepingDimensions keep: Bool = false) -> Tensor {
        let n = Set(axes.map { Shape.normalize(axis: $0, rank: rank) }).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keep) / Float(Swift.max(n, 1))
    }

    /// The maximum along `axis`; the gradient flows to the first position of each maximum.
    public func max(alongAxis axis: Int, keepingDimensions keep: Bool = false) -> Tensor {
        let (values, indices) = maxWithIndices(alongAxis: axis, keepingDimensions: keep)
        let axis = Shape.normalize(axis: axis, rank: rank)
        let inputShape = shape
        return values.recordingGradient(of: [self]) { g in
            let grad = Tensor.zeros(inputShape)
            let n = inputShape[axis]
            let inner = Shape.count(Array(inputShape[(axis + 1)...]))
            withExtendedLifetime(g) {
                for (flat, index) in indices.enumerated() {
                    let o = flat / inner
                    let i = flat % inner
                    grad.pointer[(o * n + index) * inner + i] = g.pointer[flat]
                }
            }
            return [grad]
        }
    }

    /// The maximum of every element, as a rank-0 tensor.
    public func max() -> Tensor {
        reshaped([count]).max(alongAxis: 0)
    }

    /// The index of the maximum along `axis` (first occurrence), as integers.
    public func argmax(alongAxis axis: Int) -> [Int] {
        maxWithIndices(alongAxis: axis, keepingDimensions: false).indices
    }

    private func maxWithIndices(alongAxis axis: Int, keepingDimensions keep: Bool) -> (values: Tensor, indices: [Int]) {
        let axis = Shape.normalize(axis: axis, rank: rank)
        precondition(shape[axis] > 0, "max over an empty axis")
        let outer = Shape.count(Array(shape[..<axis]))
        let n = shape[axis]
        let inner = Shape.count(Array(shape[(axis + 1)...]))
        var outShape = shape
        if keep { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        let values = Tensor.uninitialized(outShape)
        var indices = [Int](repeating: 0, count: outer * inner)
        indices.withUnsafeMutableBufferPointer { indexBuffer in
            ReductionKernels.max(pointer, outer: outer, n: n, inner: inner,
                                 values: values.pointer, indices: indexBuffer.baseAddress!)
        }
        return (values, indices)
    }
}
