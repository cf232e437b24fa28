import CLIPNN
import CLIPTensor
import Foundation

/// AdamW with decoupled weight decay, step for step as `torch.optim.AdamW` (no AMSGrad):
///
///     p ← p · (1 − lr · wd)
///     m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²
///     p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// Parameters come in groups that differ in weight decay (see `ParameterGroups.openCLIP`).
///
/// ```swift
/// let optimizer = AdamW(groups: ParameterGroups.openCLIP(model, weightDecay: 0.2), learningRate: 5e-4)
/// loss.backward()
/// optimizer.step()
/// optimizer.zeroGradients()
/// ```
public final class AdamW {
    /// Parameters sharing a weight decay.
    public struct Group {
        /// The parameters' state-dict names (the keys of their saved moments).
        public let names: [String]
        /// The parameters, in `names` order.
        public let parameters: [Parameter]
        /// Decoupled weight decay (0 for gains, biases, the logit scale).
        public var weightDecay: Float

        /// A group of `parameters` named `names`.
        public init(names: [String], parameters: [Parameter], weightDecay: Float) {
            self.names = names
            self.parameters = parameters
            self.weightDecay = weightDecay
        }
    }

    /// First and second moments of one parameter.
    public struct Moments {
        /// The running mean of gradients.
        public var first: [Float]
        /// The running mean of squared gradients.
        public var second: [Float]

        /// Moments restored from a checkpoint.
        public init(first: [Float], second: [Float]) {
            self.first = first
            self.second = second
        }
    }

    /// The parameter groups.
    public var groups: [Group]
    /// The rate of the next step (set per step from a schedule).
    public var learningRate: Float
    /// torch's β1, β2 and ε.
    public let beta1: Float, beta2: Float, epsilon: Float
    /// Steps taken (t in the bias corrections).
    public private(set) var stepCount = 0
    /// Moments by parameter name, updated in place (a copy per step of a 12M-entry embedding's
    /// moments would cost more than its update).
    private var state: [String: MomentBuffers] = [:]

    /// Moments by parameter name (the training state a checkpoint keeps), copied out.
    public var moments: [String: Moments] {
        state.mapValues { Moments(first: Array($0.first), second: Array($0.second)) }
    }

    /// An optimizer over `groups` (open_clip's β and ε by default).
    public init(groups: [Group], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.98, epsilon: Float = 1e-6) {
        self.groups = groups
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One update of every parameter that has a gradient, each split over the compute threads.
    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = 1 - Foundation.pow(Double(beta1), t)
        let correction2Root = (1 - Foundation.pow(Double(beta2), t)).squareRoot()
        let stepSize = Float(Double(learningRate) / correction1)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        for group in groups {
            let decay = 1 - lr * group.weightDecay
            for (name, parameter) in zip(group.names, group.parameters) {
                guard let gradient = parameter.wrappedValue.grad else { continue }
                let count = parameter.wrappedValue.count
                let buffers = state[name] ?? MomentBuffers(count: count)
                state[name] = buffers
                gradient.withUnsafeBufferPointer { g in
                    parameter.wrappedValue.withUnsafeMutableBufferPointer { p in
                        let pointers = UncheckedSendable((p.baseAddress!, g.baseAddress!, buffers.first.baseAddress!, buffers.second.baseAddress!))
                        Parallel.forEachChunk(count, grain: 1 << 15) { range in
                            let (p, g, m, v) = pointers.value
                            for i in range {
                                p[i] *= decay
                                m[i] += (g[i] - m[i]) * (1 - b1)
                                v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
                                let denominator = Float(Double(v[i].squareRoot()) / correction2Root) + eps
                                p[i] -= stepSize * m[i] / denominator
                            }
                        }
                    }
                }
            }
        }
    }

    /// Clears every parameter's gradient.
    public func zeroGradients() {
        for group in groups { for parameter in group.parameters { parameter.wrappedValue.grad = nil } }
    }

    /// Restores moments and the step count saved from an earlier run.
    /// Throws `AdamWError.momentsMismatch` when a parameter's saved moments do not have its size.
    public func restore(moments: [String: Moments], stepCount: Int) throws {
        for group in groups {
            for (name, parameter) in zip(group.names, group.parameters) {
                guard let saved = moments[name] else { continue }
                guard saved.first.count == parameter.wrappedValue.count, saved.second.count == parameter.wrappedValue.count else {
                    throw AdamWError.momentsMismatch(name, expected: parameter.wrappedValue.count, found: saved.first.count)
                }
            }
        }
        state = moments.mapValues { MomentBuffers(copying: $0) }
        self.stepCount = stepCount
    }
}

/// Saved optimizer state that does not fit the parameters.
public enum AdamWError: Error, CustomStringConvertible {
    case momentsMismatch(String, expected: Int, found: Int)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .momentsMismatch(name, expected, found):
            return "the saved AdamW moments of '\(name)' have \(found) entries, the parameter \(expected)"
        }
    }
}

/// One parameter's first and second moments in owned memory, written in place.
final class MomentBuffers {
    let first: UnsafeMutableBufferPointer<Float>
    let second: UnsafeMutableBufferPointer<Float>

    init(count: Int) {
        first = .allocate(capacity: count)
        second = .allocate(capacity: count)
        first.initialize(repeating: 0)
        second.initialize(repeating: 0)
    }

    convenience init(copying moments: AdamW.Moments) {
        precondition(moments.first.count == moments.second.count, "moments of different lengths")
        self.init(count: moments.first.count)
        _ = first.initialize(from: moments.first)
        _ = second.initialize(from: moments.second)
    }

    deinit {
        first.deallocate()
        second.deallocate()
    }
}
