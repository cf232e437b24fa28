import CGEMMKernels

/// Mixed-precision products for training, as `torch.autocast("cpu", dtype=torch.bfloat16)`: inside
/// `withBF16Products { … }` every matrix product of `matmul`, `linear` and `conv2d` (forward and
/// backward) multiplies bf16-rounded operands and sums in f32, while weights, gradients, optimiser
/// state, normalisation, softmax and the loss stay f32. Results stay f32 rather than being rounded to
/// bf16 as autocast's are. The setting is task-local, like `GradMode`.
public enum Autocast {
    @TaskLocal static var bf16Products = false

    /// Whether products currently round their operands to bf16.
    public static var isBF16: Bool { bf16Products }
}

/// Runs `body` with every matrix product on bf16-rounded operands (see `Autocast`); with `enabled`
/// false, runs it unchanged.
public func withBF16Products<R>(enabled: Bool = true, _ body: () throws -> R) rethrows -> R {
    try Autocast.$bf16Products.withValue(enabled || Autocast.bf16Products, operation: body)
}

extension Tensor {
    /// A copy with every element rounded to the nearest bfloat16 (ties to even, as torch's
    /// `.to(torch.bfloat16)`), still stored as f32. Records no gradient: autocast's cast passes
    /// gradients straight through, which the ops using it implement.
    func roundedToBF16() -> Tensor {
        let out = Tensor.uninitialized(shape)
        withExtendedLifetime(self) {
            let (source, target) = (UncheckedSendable(UnsafePointer(pointer)), UncheckedSendable(out.pointer))
            Parallel.forEachChunk(count, grain: elementwiseGrain) { range in
                clip_round_to_bf16(source.value + range.lowerBound, target.value + range.lowerBound, range.count)
            }
        }
        return out
    }

    /// This tensor as a product's operand: rounded to bf16 inside `withBF16Products`, else itself.
    var productOperand: Tensor { Autocast.isBF16 ? roundedToBF16() : self }
}
