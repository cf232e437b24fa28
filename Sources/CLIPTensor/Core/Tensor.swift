/// An n-dimensional array of Float32 values with reverse-mode automatic differentiation.
///
/// Layout rule: every tensor is contiguous and row-major. `reshaped(_:)` and slices along the first
/// axis are zero-copy views that share storage; `transposed`/`permuted` copy. Matrix products never
/// need a transposed copy: `matmul(_:_:transposeA:transposeB:)` passes transpose flags to BLAS.
///
/// ```swift
/// let w = Tensor.normal([3, 2], seed: 0).requiringGrad()
/// let x = Tensor([[1, 2, 3]])
/// let loss = matmul(x, w).sum()
/// loss.backward()
/// print(w.grad!.scalars)
/// ```
public final class Tensor: @unchecked Sendable {
    /// The size of each axis; `[]` for a scalar.
    public let shape: [Int]
    /// The number of elements.
    public let count: Int
    let storage: TensorStorage
    let offset: Int

    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs);
    /// results of recorded ops have it set automatically.
    public var requiresGrad: Bool
    /// The accumulated gradient of a leaf after `backward()`; nil until then.
    public var grad: Tensor?
    /// How this tensor was computed, while the graph is alive; nil for leaves.
    var gradNode: GradNode?

    init(storage: TensorStorage, offset: Int = 0, shape: [Int]) {
        let count = Shape.count(shape)
        precondition(shape.allSatisfy { $0 >= 0 }, "negative size in shape \(Shape.describe(shape))")
        precondition(offset + count <= storage.count, "view exceeds its storage")
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.count = count
        self.requiresGrad = false
    }

    /// A tensor whose contents the caller is about to overwrite completely.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage(count: Shape.count(shape), zeroed: false), shape: shape)
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// Pointer to the first element. Callers keep `self` alive while they use it.
    var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    /// Whether this tensor and `other` share memory.
    func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// A copy of the elements in row-major order.
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// The single value of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "item() needs exactly one element, shape is \(Shape.describe(shape))")
        return withExtendedLifetime(self) { pointer[0] }
    }

    /// Reads the elements in place.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try body(UnsafeBufferPointer(start: pointer, count: count))
        }
    }

    /// Reads the elements without keeping them: a tensor whose values are computed on first use
    /// (`Tensor(deferred:fill:)`) and not yet computed computes them into a temporary buffer, freed
    /// afterwards, so a single read (a fingerprint) does not make it hold its values for good.
    public func withTransientBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) {
            try storage.withTransientValues { try body(UnsafeBufferPointer(start: $0 + offset, count: count)) }
        }
    }

    /// Whether this tensor's values are computed on first use and have not been yet.
    public var isDeferred: Bool { storage.isPending }

    /// Writes the elements in place. Views that share this storage see the change; recorded
    /// graphs that saved this tensor do not know about it.
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try withExtendedLifetime(self) {
            try body(UnsafeMutableBufferPointer(start: pointer, count: count))
        }
    }

    /// Element access by index, one index per axis (for tests and small tools, not hot loops).
    public subscript(indices: Int...) -> Float {
        get { withExtendedLifetime(self) { pointer[flatIndex(indices)] } }
        set { withExtendedLifetime(self) { pointer[flatIndex(indices)] = newValue } }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank, "\(indices.count) indices for rank \(rank)")
        var flat = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis], "index \(index) out of range for axis \(axis) of size \(shape[axis])")
            flat = flat * shape[axis] + index
        }
        return flat
    }

    /// Marks this leaf as a parameter that collects gradients; returns self.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(gradNode == nil, "requiresGrad can only be set on leaf tensors")
        requiresGrad = flag
        return self
    }

    /// A tensor with the same values that is cut off from the graph (shares storage).
    public func detached() -> Tensor {
        Tensor(storage: storage, offset: offset, shape: shape)
    }

    /// A new tensor with its own copy of the elements, cut off from the graph.
    public func copied() -> Tensor {
        let out = Tensor.uninitialized(shape)
        withExtendedLifetime(self) { out.pointer.update(from: pointer, count: count) }
        return out
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape and the first values, for debugging.
    public var description: String {
        let preview = count <= 16 ? scalars.map { "\($0)" }.joined(separator: ", ") : "\(count) elements"
        return "Tensor(shape: \(Shape.describe(shape)), [\(preview)])"
    }
}
