import CLIPTensor

/// Checks an op's backward pass against central finite differences.
///
/// The op's output is reduced to a scalar with a fixed random projection, `L = Σ f(x) ⊙ w`, so every
/// output element contributes. Each input element is nudged by ±ε and the slope of L (accumulated in
/// Double) is compared with the gradient `backward()` produced.
public struct GradientChecker: Sendable {
    /// Step of the central difference.
    public var epsilon: Float
    /// Allowed |analytic − numeric| is `absoluteTolerance + relativeTolerance · |numeric|`.
    public var absoluteTolerance: Float
    public var relativeTolerance: Float
    /// Inputs larger than this are checked on an evenly spaced sample of elements.
    public var maximumElementsPerInput: Int

    /// Float32 forward passes limit how small ε can be: rounding noise in L is about
    /// 1e-7·‖f‖/ε, truncation error about ε²·f‴. ε = 1e-2 balances both for values of order 1;
    /// the tolerances are then an order of magnitude above either error, yet a wrong factor or
    /// sign in a gradient misses them by far.
    public init(epsilon: Float = 1e-2, absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 1e-2,
                maximumElementsPerInput: Int = 200) {
        self.epsilon = epsilon
        self.absoluteTolerance = absoluteTolerance
        self.relativeTolerance = relativeTolerance
        self.maximumElementsPerInput = maximumElementsPerInput
    }

    /// The worst disagreement found.
    public struct Result: CustomStringConvertible, Sendable {
        public let passed: Bool
        public let checkedElements: Int
        public let worstInput: Int
        public let worstElement: Int
        public let analytic: Float
        public let numeric: Float

        public var description: String {
            "\(passed ? "passed" : "FAILED"): \(checkedElements) elements; worst at input \(worstInput) element \(worstElement): "
                + "analytic \(analytic), numeric \(numeric)"
        }
    }

    /// Compares analytic and numeric gradients of `function` with respect to every input.
    /// The inputs are copied; the originals are not modified.
    public func check(_ inputs: [Tensor], seed: UInt64 = 7, _ function: ([Tensor]) -> Tensor) -> Result {
        let variables = inputs.map { $0.copied().requiringGrad() }
        let output = function(variables)
        let projection = Tensor.normal(output.shape, seed: seed)
        (output * projection).sum().backward()
        let projectionValues = projection.scalars.map(Double.init)

        func loss() -> Double {
            let values = withNoGrad { function(variables) }.scalars
            return zip(values, projectionValues).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        }

        var worst = (score: -Float.infinity, input: -1, element: -1, analytic: Float(0), numeric: Float(0))
        var passed = true
        var checked = 0
        for (inputIndex, variable) in variables.enumerated() {
            let analytic = variable.grad?.scalars ?? [Float](repeating: 0, count: variable.count)
            let step = max(1, variable.count / maximumElementsPerInput)
            for element in stride(from: 0, to: variable.count, by: step) {
                let original = variable.scalars[element]
                setElement(variable, element, original + epsilon)
                let plus = loss()
                setElement(variable, element, original - epsilon)
                let minus = loss()
                setElement(variable, element, original)
                let numeric = Float((plus - minus) / (2 * Double(epsilon)))
                let error = abs(analytic[element] - numeric)
                let allowed = absoluteTolerance + relativeTolerance * abs(numeric)
                if !(error <= allowed) { passed = false }
                let score = error / allowed
                if score > worst.score || score.isNaN {
                    worst = (score, inputIndex, element, analytic[element], numeric)
                }
                checked += 1
            }
        }
        return Result(passed: passed, checkedElements: checked, worstInput: worst.input, worstElement: worst.element,
                      analytic: worst.analytic, numeric: worst.numeric)
    }

    private func setElement(_ tensor: Tensor, _ index: Int, _ value: Float) {
        tensor.withUnsafeMutableBufferPointer { $0[index] = value }
    }
}
