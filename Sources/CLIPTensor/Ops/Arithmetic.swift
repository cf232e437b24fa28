// Broadcasting elementwise arithmetic: +, −, ×, ÷ between tensors (numpy broadcasting rules) and
// with scalars. Gradients of broadcast operands are summed back to their shapes.

private func broadcastResult<K: BinaryKernel>(_ kernel: K.Type, _ a: Tensor, _ b: Tensor, _ symbol: String) -> Tensor {
    guard let shape = Shape.broadcast(a.shape, b.shape) else {
        preconditionFailure("cannot broadcast \(Shape.describe(a.shape)) \(symbol) \(Shape.describe(b.shape))")
    }
    let out = Tensor.uninitialized(shape)
    withExtendedLifetime((a, b)) {
        broadcastBinary(K.self, a.pointer, a.shape, b.pointer, b.shape, out.pointer, shape)
    }
    return out
}

/// Elementwise sum with broadcasting.
public func + (a: Tensor, b: Tensor) -> Tensor {
    broadcastResult(AddKernel.self, a, b, "+").recordingGradient(of: [a, b]) { g in
        [a.requiresGrad ? g.summed(toShape: a.shape) : nil,
         b.requiresGrad ? g.summed(toShape: b.shape) : nil]
    }
}

/// Elementwise difference with broadcasting.
public func - (a: Tensor, b: Tensor) -> Tensor {
    broadcastResult(SubtractKernel.self, a, b, "-").recordingGradient(of: [a, b]) { g in
        [a.requiresGrad ? g.summed(toShape: a.shape) : nil,
         b.requiresGrad ? (-g).summed(toShape: b.shape) : nil]
    }
}

/// Elementwise product with broadcasting.
public func * (a: Tensor, b: Tensor) -> Tensor {
    broadcastResult(MultiplyKernel.self, a, b, "*").recordingGradient(of: [a, b]) { g in
        [a.requiresGrad ? (g * b).summed(toShape: a.shape) : nil,
         b.requiresGrad ? (g * a).summed(toShape: b.shape) : nil]
    }
}

/// Elementwise quotient with broadcasting.
public func / (a: Tensor, b: Tensor) -> Tensor {
    let out = broadcastResult(DivideKernel.self, a, b, "/")
    let result = out.detached()
    return out.recordingGradient(of: [a, b]) { g in
        [a.requiresGrad ? (g / b).summed(toShape: a.shape) : nil,
         b.requiresGrad ? (-(g * result) / b).summed(toShape: b.shape) : nil]
    }
}

/// Negation.
public prefix func - (x: Tensor) -> Tensor {
    let out = Tensor.uninitialized(x.shape)
    UnaryKernels.map(Negate(), x.pointer, out.pointer, x.count)
    return out.recordingGradient(of: [x]) { g in [-g] }
}

/// Adds a scalar to every element.
public func + (a: Tensor, b: Float) -> Tensor { a + Tensor(b) }
/// Adds a scalar to every element.
public func + (a: Float, b: Tensor) -> Tensor { Tensor(a) + b }
/// Subtracts a scalar from every element.
public func - (a: Tensor, b: Float) -> Tensor { a - Tensor(b) }
/// A scalar minus every element.
public func - (a: Float, b: Tensor) -> Tensor { Tensor(a) - b }
/// Multiplies every element by a scalar.
public func * (a: Tensor, b: Float) -> Tensor { a * Tensor(b) }
/// Multiplies every element by a scalar.
public func * (a: Float, b: Tensor) -> Tensor { Tensor(a) * b }
/// Divides every element by a scalar.
public func / (a: Tensor, b: Float) -> Tensor { a / Tensor(b) }
/// A scalar divided by every element.
public func / (a: Float, b: Tensor) -> Tensor { Tensor(a) / b }

extension Tensor {
    /// Sums a broadcast gradient back to `target` (the shape of the operand that was broadcast).
    func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "cannot reduce \(Shape.describe(shape)) to \(Shape.describe(target))")
        var axes: [Int] = Array(0..<lead)
        for (i, size) in target.enumerated() where size == 1 && shape[lead + i] != 1 {
            axes.append(lead + i)
        }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }

    /// Adds `other` (same shape, or broadcastable to this shape) into this tensor's storage.
    /// Not recorded: for gradient accumulation and optimizers.
    public func addInPlace(_ other: Tensor, scaledBy scale: Float = 1) {
        precondition(Shape.broadcast(shape, other.shape) == shape,
                     "cannot add \(Shape.describe(other.shape)) into \(Shape.describe(shape)) in place")
        withExtendedLifetime(other) {
            if other.shape == shape {
                UnaryKernels.map(AddScaled(scale), pointer, other.pointer, pointer, count)
            } else {
                let addend = scale == 1 ? other : other * scale
                withExtendedLifetime(addend) {
                    broadcastBinary(AddKernel.self, pointer, shape, addend.pointer, addend.shape, pointer, shape)
                }
            }
        }
    }

    /// Multiplies every element by `scale` in place. Not recorded.
    public func scaleInPlace(by scale: Float) {
        UnaryKernels.map(Scale(scale), pointer, pointer, count)
    }

    /// Overwrites this tensor's elements with those of `source` (same element count). Not recorded.
    public func assign(_ source: Tensor) {
        precondition(source.count == count, "assign: \(source.count) elements into \(count)")
        withExtendedLifetime(source) { pointer.update(from: source.pointer, count: count) }
    }
}
