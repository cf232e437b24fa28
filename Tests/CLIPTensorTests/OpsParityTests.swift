import CLIPTensor
import CLIPTestSupport
import Testing

/// Forward values and gradients of every op against PyTorch (fixture from
/// Scripts/make_tensor_fixtures.py).
@Suite("Ops match PyTorch")
struct OpsParityTests {
    /// Float32 kernels differ from torch's in summation order and in the exp/erf approximations
    /// (≤ 2 ulp each); relative to the largest magnitude involved, 2e-5 covers that with margin
    /// while any real formula error is orders of magnitude larger.
    static let relativeTolerance: Float = 2e-5

    static let fixtures: SafeTensorsFile? = try? SafeTensorsFile(
        path: ReferenceData.fixturesDirectory().appendingPathComponent("ops.safetensors").path)

    @Test("fixture file is present and readable")
    func fixtureLoads() throws {
        let file = try SafeTensorsFile(path: ReferenceData.fixturesDirectory().appendingPathComponent("ops.safetensors").path)
        #expect(file.names.count > opCases.count)
    }

    @Test("forward and backward equal torch", arguments: opCases)
    func matchesTorch(_ op: OpCase) throws {
        let file = try #require(Self.fixtures)
        var inputs: [Tensor] = []
        while let input = try? file.tensor("\(op.name)/input\(inputs.count)") {
            inputs.append(input.copied().requiringGrad())
        }
        try #require(!inputs.isEmpty, "no inputs for \(op.name) in the fixture")
        let output = op.function(inputs)
        let expected = try file.tensor("\(op.name)/output")
        expectClose(output, expected, relativeTolerance: Self.relativeTolerance, "\(op.name) output")
        let projection = try file.tensor("\(op.name)/projection")
        (output * projection).sum().backward()
        for (i, input) in inputs.enumerated() {
            let expectedGrad = try file.tensor("\(op.name)/grad\(i)")
            let grad = try #require(input.grad, "\(op.name): no gradient for input \(i)")
            expectClose(grad, expectedGrad, relativeTolerance: Self.relativeTolerance, "\(op.name) grad\(i)")
        }
    }
}

/// Every differentiable op's backward pass against central finite differences.
@Suite("Gradients match finite differences")
struct FiniteDifferenceTests {
    @Test("analytic gradient equals the numeric one", arguments: opCases)
    func gradientMatchesFiniteDifferences(_ op: OpCase) throws {
        let file = try #require(OpsParityTests.fixtures)
        var inputs: [Tensor] = []
        while let input = try? file.tensor("\(op.name)/input\(inputs.count)") { inputs.append(input) }
        try #require(!inputs.isEmpty)
        let checker = GradientChecker(epsilon: op.epsilon)
        let result = checker.check(inputs, op.function)
        #expect(result.passed, "\(op.name): \(result)")
    }
}
