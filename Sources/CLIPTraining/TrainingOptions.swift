import Foundation

/// The loss a run minimises.
public enum LossKind: String, Sendable, Codable, CaseIterable {
    /// open_clip's symmetric InfoNCE over the batch (`ClipLoss`).
    case clip
    /// The pairwise sigmoid loss of SigLIP (`SigLipLoss`); the model needs a `logit_bias`.
    case siglip
}

/// How training images are augmented.
public enum Augmentation: String, Sendable, Codable, CaseIterable {
    /// open_clip's training transform: RandomResizedCrop (scale 0.9–1.0, bicubic), RGB, normalise.
    case standard = "default"
    /// The inference transform (resize the shorter side, centre crop, normalise).
    case none
}

/// Lower-precision arithmetic for a training run, as open_clip's `--precision`.
public enum MixedPrecision: String, Sendable, Codable, CaseIterable {
    /// `amp_bf16`: every matrix product of the two towers, forward and backward (linear layers,
    /// attention projections, convolutions, the final projections), multiplies bf16-rounded operands
    /// with f32 sums, as `torch.autocast(dtype=torch.bfloat16)` on CPU; master weights, gradients,
    /// AdamW's state, normalisation, softmax, attention's own products and the loss (its logits
    /// product included, unlike autocast) stay f32.
    case bf16 = "amp_bf16"
}

/// Settings of a training run, with open_clip's defaults (lr 5e-4, warmup 10,000, weight decay 0.2,
/// β1 0.9, β2 0.98, ε 1e-6).
public struct TrainingOptions: Sendable, Codable, Equatable {
    /// Samples per micro-batch.
    public var batchSize: Int
    /// Stop after this many optimizer steps; when nil, after `epochs` passes over the data.
    public var steps: Int?
    /// Passes over the data when `steps` is nil.
    public var epochs: Int = 1
    /// The peak learning rate.
    public var learningRate: Float = 5e-4
    /// Linear warmup steps before the cosine decay.
    public var warmup: Int = 10_000
    /// AdamW's decoupled weight decay (not on gains, biases, the logit scale).
    public var weightDecay: Float = 0.2
    /// AdamW's β1.
    public var beta1: Float = 0.9
    /// AdamW's β2.
    public var beta2: Float = 0.98
    /// AdamW's ε.
    public var epsilon: Float = 1e-6
    /// The loss minimised.
    public var loss: LossKind = .clip
    /// Micro-batches per optimizer step; the loss sees all of them (open_clip's `--accum-freq`).
    public var accumulation: Int = 1
    /// Clips the gradients' joint 2-norm to this when set.
    public var gradientClipNorm: Float?
    /// How images are augmented.
    public var augmentation: Augmentation = .standard
    /// Whether each epoch draws a new order.
    public var shuffle = true
    /// Seeds initialisation, order, augmentation and LoRA.
    public var seed: UInt64 = 0
    /// Freezes the image tower (LiT).
    public var lockImage = false
    /// With `lockImage`: final layer groups left trainable.
    public var lockImageUnlockedGroups = 0
    /// Freezes the text tower.
    public var lockText = false
    /// LoRA fine-tuning: only adapters train, merged into the weights in every checkpoint.
    public var lora: LoRAOptions?
    /// Write a checkpoint every this many steps (and always at the end).
    public var checkpointEvery: Int?
    /// Mixed precision; nil trains in f32.
    public var mixedPrecision: MixedPrecision?

    /// Settings with open_clip's defaults and batches of `batchSize`.
    public init(batchSize: Int) { self.batchSize = batchSize }

    /// Throws `TrainingError.invalidOption` naming the first setting out of range.
    public func validate() throws {
        guard batchSize >= 2 else { throw TrainingError.invalidOption("--batch-size must be at least 2 (a contrastive loss needs negatives)") }
        guard steps.map({ $0 >= 1 }) ?? (epochs >= 1) else { throw TrainingError.invalidOption("--steps / --epochs must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidOption("--lr must be positive") }
        guard warmup >= 0, weightDecay >= 0, (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon > 0 else {
            throw TrainingError.invalidOption("--warmup, --weight-decay must be ≥ 0; --beta1, --beta2 in [0, 1); --eps > 0")
        }
        guard accumulation >= 1 else { throw TrainingError.invalidOption("--accum-freq must be at least 1") }
        guard lockImageUnlockedGroups >= 0 else { throw TrainingError.invalidOption("--lock-image-unlocked-groups must be ≥ 0") }
        if let gradientClipNorm, !(gradientClipNorm > 0) { throw TrainingError.invalidOption("--grad-clip-norm must be positive") }
        try lora?.validate()
        if lora != nil && (lockImage || lockText) {
            throw TrainingError.invalidOption("--lora-rank freezes the base model already; drop --lock-image / --lock-text (use --lora-towers)")
        }
        if let checkpointEvery, checkpointEvery < 1 { throw TrainingError.invalidOption("--save-every must be at least 1") }
    }
}
