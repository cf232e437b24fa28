// Shape ops: reshape, expand (broadcast), permute/transpose, slice, row gather, concatenate.
// Legend: shapes in comments are written [axis sizes].

extension Tensor {
    /// The same elements under a new shape (a view: no copy). One size may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot infer axis of \(Shape.describe(newShape)) for \(count) elements")
            resolved[inferred] = count / known
        }
        precondition(Shape.count(resolved) == count,
                     "cannot reshape \(Shape.describe(shape)) (\(count) elements) to \(Shape.describe(newShape))")
        if resolved == shape { return self }
        let view = Tensor(storage: storage, offset: offset, shape: resolved)
        let inputShape = shape
        return view.recordingGradient(of: [self]) { g in [g.reshaped(inputShape)] }
    }

    /// This tensor broadcast to `target` (a copy), as numpy `broadcast_to`.
    public func expanded(to target: [Int]) -> Tensor {
        precondition(Shape.broadcast(shape, target) == target,
                     "cannot expand \(Shape.describe(shape)) to \(Shape.describe(target))")
        if shape == target { return self }
        let out = Tensor.uninitialized(target)
        let zero = Tensor(0)
        withExtendedLifetime(zero) {
            broadcastBinary(AddKernel.self, pointer, shape, zero.pointer, [], out.pointer, target)
        }
        let inputShape = shape
        return out.recordingGradient(of: [self]) { g in [g.summed(toShape: inputShape)] }
    }

    /// The axes reordered: axis `i` of the result is axis `order[i]` of this tensor (a copy).
    public func permuted(_ order: [Int]) -> Tensor {
        let order = order.map { Shape.normalize(axis: $0, rank: rank) }
        precondition(order.count == rank && Set(order).count == rank, "invalid permutation \(order) for rank \(rank)")
        if order == Array(0..<rank) { return self }
        let outShape = order.map { shape[$0] }
        let out = Tensor.uninitialized(outShape)
        let inStrides = Shape.strides(shape)
        permuteCopy(source: pointer, sourceStrides: order.map { inStrides[$0] }, shape: outShape, into: out.pointer)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in order.enumerated() { inverse[axis] = i }
        return out.recordingGradient(of: [self]) { g in [g.permuted(inverse)] }
    }

    /// Axes `a` and `b` swapped (a copy). Defaults to the last two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(Shape.normalize(axis: a, rank: rank), Shape.normalize(axis: b, rank: rank))
        return permuted(order)
    }

    /// Elements `range` along `axis`. Along axis 0 this is a view; otherwise a copy.
    public func sliced(_ range: Range<Int>, alongAxis axis: Int = 0) -> Tensor {
        let axis = Shape.normalize(axis: axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slice \(range) out of bounds for axis \(axis) of size \(shape[axis])")
        var outShape = shape
        outShape[axis] = range.count
        let outer = Shape.count(Array(shape[..<axis]))
        let inner = Shape.count(Array(shape[(axis + 1)...]))
        let out: Tensor
        if outer == 1 {
            out = Tensor(storage: storage, offset: offset + range.lowerBound * inner, shape: outShape)
        } else {
            out = Tensor.uninitialized(outShape)
            let rowLength = range.count * inner
            for o in 0..<outer {
                (out.pointer + o * rowLength).update(
                    from: pointer + (o * shape[axis] + range.lowerBound) * inner, count: rowLength)
            }
        }
        let inputShape = shape
        return out.recordingGradient(of: [self]) { g in
            let grad = Tensor.zeros(inputShape)
            let rowLength = range.count * inner
            withExtendedLifetime(g) {
                for o in 0..<outer {
                    (grad.pointer + (o * inputShape[axis] + range.lowerBound) * inner).update(
                        from: g.pointer + o * rowLength, count: rowLength)
                }
            }
            return [grad]
        }
    }

    /// Rows (entries along axis 0) picked by `indices`, in that order; repeats allowed.
    /// The gradient adds back into the picked rows.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "row gather needs rank ≥ 1")
        let rows = shape[0]
        let rowLength = count / Swift.max(rows, 1)
        for index in indices {
            precondition(index >= 0 && index < rows, "row index \(index) out of range 0..<\(rows)")
        }
        var outShape = shape
        outShape[0] = indices.count
        let out = Tensor.uninitialized(outShape)
        Parallel.forEachChunk(indices.count, grain: Swift.max(1, elementwiseGrain / Swift.max(rowLength, 1))) { range in
            for i in range {
                (out.pointer + i * rowLength).update(from: pointer + indices[i] * rowLength, count: rowLength)
            }
        }
        let inputShape = shape
        return out.recordingGradient(of: [self]) { g in
            let grad = Tensor.zeros(inputShape)
            withExtendedLifetime(g) {
                for (i, index) in indices.enumerated() {
                    let target = grad.pointer + index * rowLength
                    mapVectors(target, g.pointer + i * rowLength, target, rowLength) { $0 + $1 }
                }
            }
            return [grad]
        }
    }
}

/// Joins tensors along `axis`; all other sizes must agree.
public func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
    let first = tensors[0]
    let axis = Shape.normalize(axis: axis, rank: first.rank)
    for t in tensors {
        precondition(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
                     "cannot concatenate \(Shape.describe(t.shape)) with \(Shape.describe(first.shape)) along axis \(axis)")
    }
    var outShape = first.shape
    outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
    let outer = Shape.count(Array(first.shape[..<axis]))
    let inner = Shape.count(Array(first.shape[(axis + 1)...]))
    let out = Tensor.uninitialized(outShape)
    let outRow = outShape[axis] * inner
    var start = 0
    var ranges: [Range<Int>] = []
    withExtendedLifetime(tensors) {
        for t in tensors {
            let rowLength = t.shape[axis] * inner
            for o in 0..<outer {
                (out.pointer + o * outRow + start * inner).update(from: t.pointer + o * rowLength, count: rowLength)
            }
            ranges.append(start..<(start + t.shape[axis]))
            start += t.shape[axis]
        }
    }
    return out.recordingGradient(of: tensors) { g in
        zip(tensors, ranges).map { t, range in t.requiresGrad ? g.sliced(range, alongAxis: axis) : nil }
    }
}

/// Copies a strided view (`shape`, element strides into `source`) into contiguous `destination`.
func permuteCopy(source: UnsafePointer<Float>, sourceStrides: [Int], shape: [Int],
                 into destination: UnsafeMutablePointer<Float>) {
    let rank = shape.count
    let total = Shape.count(shape)
    guard total > 0 else { return }
    let innerCount = shape[rank - 1]
    let innerStride = sourceStrides[rank - 1]
    let outerShape = Array(shape[..<(rank - 1)])
    let outerCount = total / innerCount
    Parallel.forEachChunk(outerCount, grain: Swift.max(1, elementwiseGrain / Swift.max(innerCount, 1))) { rows in
        for row in rows {
            var rest = row
            var base = 0
            for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
                base += (rest % outerShape[axis]) * sourceStrides[axis]
                rest /= outerShape[axis]
            }
            let target = destination + row * innerCount
            let from = source + base
            if innerStride == 1 {
                target.update(from: from, count: innerCount)
            } else {
                for i in 0..<innerCount { target[i] = from[i * innerStride] }
            }
        }
    }
}
