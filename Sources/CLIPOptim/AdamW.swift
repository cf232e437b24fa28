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
    public struct Group {
        public let names: [String]
        public let parameters: [Parameter]
        public var weightDecay: Float

        public init(names: [String], parameters: [Parameter], weightDecay: Float) {
            self.names = names
            self.parameters = parameters
            self.weightDecay = weightDecay
        }
    }

    /// First and second moments of one parameter.
    public struct Moments {
        public var first: [Float]
        public var second: [Float]

        public init(first: [Float], second: [Float]) {
            self.first = first
            self.second = second
        }
    }

    public var groups: [Group]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    /// Steps taken (t in the bias corrections).
    public private(set) var stepCount = 0
    /// Moments by parameter name (the training state a checkpoint keeps).
    public private(set) var moments: [String: Moments] = [:]

    public init(groups: [Group], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.98, epsilon: Float = 1e-6) {
        self.groups = groups
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One update of every parameter that has a gradient.
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
                var state = moments[name] ?? Moments(first: [Float](repeating: 0, count: count), second: [Float](repeating: 0, count: count))
                gradient.withUnsafeBufferPointer { g in
                    parameter.wrappedValue.withUnsafeMutableBufferPointer { p in
                        for i in 0..<count {
                            p[i] *= decay
                            state.first[i] += (g[i] - state.first[i]) * (1 - b1)
                            state.second[i] = state.second[i] * b2 + (1 - b2) * g[i] * g[i]
                            let denominator = Float(Double(state.second[i].squareRoot()) / correction2Root) + eps
                            p[i] -= stepSize * state.first[i] / denominator
                        }
                    }
                }
                moments[name] = state
            }
        }
    }

    /// Clears every parameter's gradient.
    public func zeroGradients() {
        for group in groups { for parameter in group.parameters { parameter.wrappedValue.grad = nil } }
    }

    /// Restores moments and the step count saved from an earlier run.
    public func restore(moments: [String: Moments], stepCount: Int) {
        self.moments = moments
        self.stepCount = stepCount
    }
}
