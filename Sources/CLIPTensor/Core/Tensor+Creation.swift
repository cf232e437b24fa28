extension Tensor {
    /// A tensor of the given shape filled from `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Float]) {
        precondition(Shape.count(shape) == scalars.count,
                     "\(scalars.count) scalars for shape \(Shape.describe(shape))")
        self.init(storage: TensorStorage(count: scalars.count, zeroed: false), shape: shape)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    /// A rank-0 tensor holding one value.
    public convenience init(_ scalar: Float) {
        self.init(shape: [], scalars: [scalar])
    }

    /// A vector.
    public convenience init(_ scalars: [Float]) {
        self.init(shape: [scalars.count], scalars: scalars)
    }

    /// A matrix from rows of equal length.
    public convenience init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "rows of unequal length")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// A tensor whose values `fill` writes (all `count` of them, row-major) the first time they are
    /// read; until then they take no memory. Reading with `withTransientBufferPointer` computes them
    /// without keeping them.
    public static func deferred(_ shape: [Int], fill: @escaping @Sendable (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        Tensor(storage: TensorStorage(deferred: Shape.count(shape), fill: fill), shape: shape)
    }

    /// All zeros.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage(count: Shape.count(shape), zeroed: true), shape: shape)
    }

    /// All ones.
    public static func ones(_ shape: [Int]) -> Tensor {
        full(shape, 1)
    }

    /// Every element set to `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let out = uninitialized(shape)
        out.pointer.update(repeating: value, count: out.count)
        return out
    }

    /// `0, 1, …, end − 1`, as `numpy.arange(end)`.
    public static func arange(_ end: Float) -> Tensor {
        arange(0, end)
    }

    /// `start, start + step, …` up to but excluding `end`, as `numpy.arange`.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let out = uninitialized([n])
        for i in 0..<n { out.pointer[i] = start + Float(i) * step }
        return out
    }

    /// Values drawn from a normal distribution with a seeded generator.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return normal(shape, mean: mean, std: std, using: &generator)
    }

    /// Values drawn from a normal distribution, advancing `generator`.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              using generator: inout RandomGenerator) -> Tensor {
        filled(shape) { mean + std * generator.nextNormal() }
    }

    /// Values drawn uniformly from `[low, high)` with a seeded generator.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return uniform(shape, low: low, high: high, using: &generator)
    }

    /// Values drawn uniformly from `[low, high)`, advancing `generator`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               using generator: inout RandomGenerator) -> Tensor {
        filled(shape) { low + (high - low) * generator.nextUniform() }
    }

    /// A tensor whose elements, in row-major order, are successive results of `next`.
    private static func filled(_ shape: [Int], _ next: () -> Float) -> Tensor {
        let out = uninitialized(shape)
        for i in 0..<out.count { out.pointer[i] = next() }
        return out
    }

    /// Zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }
}
