import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// The packed few-row kernels (inference through a `PackedWeightCache`) against PyTorch.
@Suite("Packed few-row linear layers")
struct PackedLinearTests {
    /// The kernels sum in a different order than torch (and than BLAS); see OpsParityTests.
    static let relativeTolerance = OpsParityTests.relativeTolerance

    init() {
        if !Diagnostics.packedKernels {
            print("notice: this CPU has no AVX-512F, so PackedLinearTests check the BLAS fallback only")
        }
    }

    private func inputs(_ name: String) throws -> [Tensor] {
        let file = try #require(OpsParityTests.fixtures)
        var inputs: [Tensor] = []
        while let input = try? file.tensor("\(name)/input\(inputs.count)") { inputs.append(input.copied()) }
        try #require(!inputs.isEmpty, "no inputs for \(name) in the fixture")
        return inputs
    }

    private func expectMatchesTorch(_ actual: Tensor, _ name: String) throws {
        let expected = try #require(OpsParityTests.fixtures).tensor("\(name)/output")
        expectClose(actual, expected, relativeTolerance: Self.relativeTolerance, name)
    }

    @Test("bias, residual, a partial panel and uneven row tiles equal torch")
    func fewRowsWithResidual() throws {
        let x = try inputs("linear_few_rows")
        let cache = PackedWeightCache()
        let output = withNoGrad { linear(x[0], weight: x[1], bias: x[2], addingTo: x[3], packing: cache) }
        #expect(cache.isFilled == Diagnostics.packedKernels)
        try expectMatchesTorch(output, "linear_few_rows")
    }

    @Test("a depth over one block and not a multiple of 16 equals torch")
    func deepProduct() throws {
        let x = try inputs("linear_few_rows_deep")
        let cache = PackedWeightCache()
        let output = withNoGrad { linear(x[0], weight: x[1], bias: nil, packing: cache) }
        #expect(cache.isFilled == Diagnostics.packedKernels)
        try expectMatchesTorch(output, "linear_few_rows_deep")
    }

    @Test("a replaced weight is packed again; a changed one is never served stale")
    func replacedWeightRepacks() throws {
        let x = try inputs("linear_few_rows_deep")
        let cache = PackedWeightCache()
        let first = withNoGrad { linear(x[0], weight: x[1], bias: nil, packing: cache) }
        let doubled = x[1] * 2
        let second = withNoGrad { linear(x[0], weight: doubled, bias: nil, packing: cache) }
        #expect(maxDifference(second, first * 2).value <= Self.relativeTolerance * 2 * max(1, first.scalars.map(abs).max()!))
    }

    @Test("weights that require gradients are not packed and still train")
    func trainableWeightsBypassTheCache() throws {
        let x = try inputs("linear_few_rows_deep")
        let weight = x[1].requiringGrad()
        let cache = PackedWeightCache()
        let output = linear(x[0], weight: weight, bias: nil, packing: cache)
        #expect(!cache.isFilled)
        output.sum().backward()
        #expect(weight.grad != nil)
        try expectMatchesTorch(output, "linear_few_rows_deep")
    }

    @Test("products with more rows than the limit use the general GEMM")
    func manyRowsBypassTheCache() {
        let x = Tensor.normal([200, 16], seed: 1)
        let weight = Tensor.normal([8, 16], seed: 2)
        let cache = PackedWeightCache()
        let packedOutput = withNoGrad { linear(x, weight: weight, bias: nil, packing: cache) }
        #expect(!cache.isFilled)
        let plain = withNoGrad { linear(x, weight: weight, bias: nil) }
        #expect(maxDifference(packedOutput, plain).value == 0)
    }
}
