import Foundation

/// Learning rate per step, as open_clip's `scheduler.py`.
public enum LearningRateSchedule: Sendable, Equatable {
    /// Linear warmup to `base` over `warmup` steps, then half a cosine down to 0 at `total` steps.
    case cosine(base: Float, warmup: Int, total: Int)
    /// Linear warmup, then constant.
    case constant(base: Float, warmup: Int)

    /// The rate for `step` (0-based), as open_clip sets it before that step's update.
    public func learningRate(at step: Int) -> Float {
        switch self {
        case let .cosine(base, warmup, total):
            if step < warmup { return Self.warmup(base, warmup, step) }
            let elapsed = Double(step - warmup), span = Double(total - warmup)
            guard span > 0 else { return base }
            return Float(0.5 * (1 + Foundation.cos(Double.pi * elapsed / span)) * Double(base))
        case let .constant(base, warmup):
            return step < warmup ? Self.warmup(base, warmup, step) : base
        }
    }

    /// open_clip's `_warmup_lr`: `base · (step + 1) / warmup`.
    static func warmup(_ base: Float, _ warmup: Int, _ step: Int) -> Float {
        Float(Double(base) * Double(step + 1) / Double(warmup))
    }
}
