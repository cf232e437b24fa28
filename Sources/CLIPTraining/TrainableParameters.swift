import CLIPNN
import CLIPTensor

extension Module {
    /// Makes every trainable parameter an owned copy (weights loaded from a file are memory-mapped
    /// and must not be written in place) that records gradients; buffers stay as they are.
    public func prepareForTraining() {
        for (_, parameter) in namedParameters() where parameter.isTrainable {
            let owned = parameter.wrappedValue.copied()
            owned.requiresGrad = true
            parameter.wrappedValue = owned
        }
    }
}

import CLIPModel
import Foundation

extension CLIP {
    /// open_clip clamps `logit_scale` to [0, ln 100] after every step, so the temperature never
    /// falls below 0.01. A frozen scale is left alone (it may be read-only mapped memory).
    public func clampLogitScale() {
        guard logitScale.requiresGrad else { return }
        let limit = Float(Foundation.log(100.0))
        logitScale.withUnsafeMutableBufferPointer { $0[0] = min(max($0[0], 0), limit) }
    }
}
