import CLIPNN
import CLIPTensor
import CLIPTestSupport
import Testing

/// A small module tree with renamed keys, a list of children and a bias-free layer.
final class TinyBlock: Module {
    let norm = LayerNorm(4)
    let attention = MultiHeadAttention(width: 4, heads: 2)
    let projection = Linear(4, 2, bias: false)
}

@Suite("Modules: names, shapes and strict loading")
struct ModuleTests {
    @Test("parameters are named as the reference state dict, in declaration order")
    func names() {
        let names = TinyBlock().namedParameters().map(\.name)
        #expect(names == ["norm.weight", "norm.bias", "attention.in_proj_weight", "attention.in_proj_bias",
                          "attention.out_proj.weight", "attention.out_proj.bias", "projection.weight"])
    }

    @Test("layers create their weights in PyTorch's shapes")
    func shapes() {
        let shapes = Dictionary(uniqueKeysWithValues: TinyBlock().namedParameters().map { ($0.name, $0.parameter.wrappedValue.shape) })
        #expect(shapes["attention.in_proj_weight"] == [12, 4] && shapes["attention.in_proj_bias"] == [12])
        #expect(shapes["projection.weight"] == [2, 4])
        #expect(Conv2d(3, 8, kernelSize: 2, stride: 2).weight.shape == [8, 3, 2, 2])
        let norm = BatchNorm2d(5)
        #expect(norm.namedParameters().map(\.name) == ["weight", "bias", "running_mean", "running_var"])
        #expect(norm.trainableParameters().map(\.name) == ["weight", "bias"])
    }

    @Test("loading replaces every tensor; a missing, unexpected or mis-shaped key is refused by name and nothing changes")
    func strictLoading() throws {
        let block = TinyBlock()
        var tensors = block.stateDict().mapValues { Tensor.ones($0.shape) }
        try block.load(tensors)
        #expect(block.projection.weight.scalars == [Float](repeating: 1, count: 8))

        let fresh = TinyBlock()
        let before = fresh.norm.bias.scalars
        tensors["norm.bias"] = Tensor.ones([5])
        #expect(throws: ModuleError.shapeMismatch("norm.bias", expected: [4], found: [5])) { try fresh.load(tensors) }
        #expect(fresh.norm.bias.scalars == before)
        tensors["norm.bias"] = nil
        #expect(throws: ModuleError.missingKey("norm.bias", expectedShape: [4])) { try fresh.load(tensors) }
        tensors["norm.bias"] = Tensor.ones([4])
        tensors["projection.bias"] = Tensor.ones([2])
        #expect(throws: ModuleError.unexpectedKey("projection.bias", shape: [2])) { try fresh.load(tensors) }
    }

    @Test("a linear layer computes x·Wᵀ + b")
    func linear() {
        let layer = Linear(2, 2)
        layer.weight = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        layer.bias = Tensor([10, 20])
        #expect(layer(Tensor(shape: [1, 2], scalars: [1, 1])).scalars == [13, 27])
    }
}
