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

/// Settings of a training run, with open_clip's defaults (lr 5e-4, warmup 10,000, weight decay 0.2,
/// β1 0.9, β2 0.98, ε 1e-6).
public struct TrainingOptions: Sendable, Codable, Equatable {
    public var batchSize: Int
    /// Stop after this many optimizer steps; when nil, after `epochs` passes over the data.
    public var steps: Int?
    public var epochs: Int = 1
    public var learningRate: Float = 5e-4
    public var warmup: Int = 10_000
    public var weightDecay: Float = 0.2
    public var beta1: Float = 0.9
    public var beta2: Float = 0.98
    public var epsilon: Float = 1e-6
    public var loss: LossKind = .clip
    /// Micro-batches per optimizer step; the loss sees all of them (open_clip's `--accum-freq`).
    public var accumulation: Int = 1
    public var gradientClipNorm: Float?
    public var augmentation: Augmentation = .standard
    public var shuffle = true
    public var seed: UInt64 = 0
    public var lockImage = false
    public var lockImageUnlockedGroups = 0
    public var lockText = false
    /// LoRA fine-tuning: only adapters train, merged into the weights in every checkpoint.
    public var lora: LoRAOptions?
    /// Write a checkpoint every this many steps (and always at the end).
    public var checkpointEvery: Int?

    public init(batchSize: Int) { self.batchSize = batchSize }

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
