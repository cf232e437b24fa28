import CLIPTensor

/// LoRA (Hu et al., 2021): a trainable low-rank update beside a frozen weight `W` `[out, in]`, so that
/// the layer computes `x·Wᵀ + b + (α / r) · dropout(x)·Aᵀ·Bᵀ`. `A` (`down`, `[r, in]`) starts
/// Kaiming-uniform as peft initialises it (bound `1/√in`); `B` (`up`, `[out, r]`) starts at zero, so
/// training begins exactly at the base model.
///
/// An adapter is not a `Module`: its tensors stay out of the layer's state dict, which keeps the base
/// model's names, and `merged(into:)` folds it into the weight when a checkpoint is written.
public final class LowRankAdapter {
    /// `A`, `[rank, in]`.
    public let down: Parameter
    /// `B`, `[out, rank]`.
    public let up: Parameter
    /// The rank of `B·A`.
    public let rank: Int
    /// `α / r`, the factor of the low-rank product.
    public let scaling: Float
    /// The probability of zeroing an input element of the adapter path while training (0 = none).
    public let dropout: Float
    /// Draws the dropout masks; reseed it (`reseed(_:)`) for reproducible steps.
    private var random: RandomGenerator
    /// Dropout is applied only while this is true (training); inference always uses every input.
    public var isTraining = true

    /// An adapter `(alpha / rank) · B·A` for a layer `inFeatures → outFeatures`: A drawn from `seed` as peft does, B zero.
    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, dropout: Float = 0, seed: UInt64) {
        precondition(rank >= 1 && (0..<1).contains(dropout), "LoRA rank must be ≥ 1 and dropout in [0, 1)")
        var generator = RandomGenerator(seed: seed)
        let bound = 1 / Float(inFeatures).squareRoot()
        let downValues = (0..<(rank * inFeatures)).map { _ in (generator.nextUniform() * 2 - 1) * bound }
        down = Parameter(wrappedValue: Tensor(shape: [rank, inFeatures], scalars: downValues))
        up = Parameter(wrappedValue: Tensor.zeros([outFeatures, rank]))
        self.rank = rank
        scaling = alpha / Float(rank)
        self.dropout = dropout
        random = generator
    }

    /// Makes the next dropout masks depend on `seed` only (a trainer reseeds every step, so a
    /// resumed run draws the masks an uninterrupted run would).
    public func reseed(_ seed: UInt64) { random = RandomGenerator(seed: seed) }

    /// `(α / r) · dropout(x)·Aᵀ·Bᵀ`, shaped as the layer's output.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var input = x
        if isTraining && dropout > 0 {
            let keep = 1 / (1 - dropout)
            let mask = (0..<x.count).map { _ in random.nextUniform() < dropout ? 0 : keep }
            input = x * Tensor(shape: x.shape, scalars: mask)
        }
        let reduced = linear(input, weight: down.wrappedValue, bias: nil)   // [..., r]
        return linear(reduced * scaling, weight: up.wrappedValue, bias: nil)
    }

    /// `(α / r) · B·A`, `[out, in]`: what the adapter adds to the weight.
    public func delta() -> Tensor {
        withNoGrad { matmul(up.wrappedValue, down.wrappedValue) * scaling }
    }

    /// `weight + (α / r) · B·A` as a new tensor.
    public func merged(into weight: Tensor) -> Tensor {
        precondition(weight.shape == [up.wrappedValue.shape[0], down.wrappedValue.shape[1]], "LoRA shapes do not match the weight")
        return withNoGrad { weight + delta() }
    }
}
