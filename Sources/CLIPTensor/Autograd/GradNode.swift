/// One recorded op: the inputs it read and how to turn the output's gradient into theirs.
final class GradNode {
    let inputs: [Tensor]
    /// Maps the gradient of the output to one gradient per input (nil where none is needed).
    let backward: (Tensor) -> [Tensor?]

    init(inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// Whether an op on `inputs` should record its backward rule.
    static func shouldRecord(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }

    /// Attaches `backward` to this freshly computed result when recording is on and an input
    /// requires grad. Backward closures must not capture the result itself (that would be a cycle);
    /// they capture `detached()` aliases instead.
    func recordingGradient(of inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if Tensor.shouldRecord(inputs) {
            gradNode = GradNode(inputs: inputs, backward: backward)
            requiresGrad = true
        }
        return self
    }
}
