@testable import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// `withBF16Products` against `torch.autocast("cpu", dtype=torch.bfloat16)`
/// (Scripts/make_precision_fixtures.py → Fixtures/autocast_products.safetensors).
@Suite("Mixed-precision products (amp_bf16)")
struct AutocastTests {
    static let fixture: SafeTensorsFile? = try? SafeTensorsFile(
        path: ReferenceData.fixturesDirectory().appendingPathComponent("autocast_products.safetensors").path)

    /// Autocast rounds each product's result to bf16 (8 significant bits) and we keep it in f32: one
    /// bf16 step of the reference value, plus a floor for results near zero, bounds the difference.
    static let bf16Step: Float = 1.0 / 128
    /// Torch's CPU bf16 convolution backward keeps partial sums in bf16 (per image, per overlapping
    /// window, and the bias gradient's sum over pixels); ours sums in f32, a few steps away.
    static let convolutionGradientSteps: Float = 6
    static let absoluteFloor: Float = 1e-3

    func tensor(_ name: String) throws -> Tensor {
        try #require(Self.fixture, "autocast_products.safetensors is missing").tensor(name)
    }

    /// Runs `op` on the fixture's leaves (under autocast or not), backward against the upstream
    /// gradient, and returns the output followed by each leaf's gradient.
    func run(_ prefix: String, leaves names: [String], mixed: Bool, _ op: ([Tensor]) -> Tensor) throws -> [Tensor] {
        let leaves = try names.map { try tensor("\(prefix).\($0)").requiringGrad() }
        let upstream = try tensor("\(prefix).upstream")
        let output = withBF16Products(enabled: mixed) {
            let output = op(leaves)
            (output * upstream).sum().backward()
            return output
        }
        return [output] + leaves.map { $0.grad! }
    }

    /// The largest difference from the reference in bf16 steps of the reference value.
    func steps(_ ours: Tensor, _ reference: Tensor) -> Float {
        zip(ours.scalars, reference.scalars).map { abs($0 - $1) / max(abs($1) * Self.bf16Step, Self.absoluteFloor) }.max() ?? 0
    }

    func check(_ prefix: String, leaves: [String], gradientSteps: Float = 1, _ op: @escaping ([Tensor]) -> Tensor) throws {
        let mixed = try run(prefix, leaves: leaves, mixed: true, op)
        let plain = try run(prefix, leaves: leaves, mixed: false, op)
        let references = try [tensor("\(prefix).output")] + leaves.map { try tensor("\(prefix).\($0).grad") }
        for (index, label) in (["output"] + leaves).enumerated() {
            let bound: Float = index == 0 ? 1 : gradientSteps
            let (ours, f32) = (steps(mixed[index], references[index]), steps(plain[index], references[index]))
            #expect(ours <= bound, "\(prefix) \(label): \(ours) bf16 steps from torch autocast")
            // The f32 products land further from autocast's: rounding the operands is what matches.
            // (A bias gradient is a sum, not a product: the same either way.)
            if label != "bias" { #expect(ours < f32, "\(prefix) \(label): autocast \(ours) steps, f32 \(f32) steps") }
        }
    }

    @Test("linear: output and every gradient within one bf16 step of torch autocast, closer than f32")
    func linearProducts() throws {
        try check("linear", leaves: ["x", "weight", "bias"]) { linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    @Test("conv2d: output within one bf16 step of torch autocast and gradients within a few, all closer than f32")
    func convolutionProducts() throws {
        try check("conv", leaves: ["x", "weight", "bias"], gradientSteps: Self.convolutionGradientSteps) {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 2))
        }
    }

    @Test("batched matmul: output and both gradients within one bf16 step of torch autocast, closer than f32")
    func matmulProducts() throws {
        try check("matmul", leaves: ["a", "b"]) { matmul($0[0], $0[1]) }
    }

    @Test("outside withBF16Products nothing is rounded, and the setting does not leak out of its scope")
    func scope() throws {
        #expect(!Autocast.isBF16)
        let value = Tensor([[1.00390625]])  // 1 + 2⁻⁸: a tie that bf16 rounds to 1
        #expect(matmul(value, Tensor([[1]])).item() == 1.00390625)
        withBF16Products {
            #expect(Autocast.isBF16)
            #expect(matmul(value, Tensor([[1]])).item() == 1)
        }
        #expect(!Autocast.isBF16)
    }
}
