import CLIPTensor

/// One differentiable op applied to fixed inputs. The same table drives the PyTorch parity test
/// (Scripts/make_tensor_fixtures.py defines the same cases by name) and the finite-difference check.
struct OpCase: CustomStringConvertible, Sendable {
    let name: String
    let function: @Sendable ([Tensor]) -> Tensor
    /// A looser finite-difference step for ops whose inputs sit close to a kink.
    var epsilon: Float = 1e-2

    var description: String { name }
}

private let causalMaskRow: [Float] = [0, -1, 0.5, -.infinity]

let opCases: [OpCase] = [
    OpCase(name: "add_broadcast") { $0[0] + $0[1] },
    OpCase(name: "sub_broadcast") { $0[0] - $0[1] },
    OpCase(name: "mul_broadcast") { $0[0] * $0[1] },
    OpCase(name: "div_broadcast") { $0[0] / $0[1] },
    OpCase(name: "neg") { -$0[0] },
    OpCase(name: "scalar_affine") { 2.5 * $0[0] - 1.0 },
    OpCase(name: "exp") { exp($0[0]) },
    OpCase(name: "log") { log($0[0]) },
    OpCase(name: "sqrt") { sqrt($0[0]) },
    OpCase(name: "pow_cube") { pow($0[0], 3) },
    OpCase(name: "tanh") { tanh($0[0]) },
    OpCase(name: "sigmoid") { sigmoid($0[0]) },
    OpCase(name: "log_sigmoid") { logSigmoid($0[0]) },
    OpCase(name: "relu", function: { relu($0[0]) }, epsilon: 1e-3),
    OpCase(name: "sum_all") { $0[0].sum() },
    OpCase(name: "sum_axes_0_2") { $0[0].sum(alongAxes: [0, 2]) },
    OpCase(name: "sum_axis_keepdim") { $0[0].sum(alongAxis: 1, keepingDimensions: true) },
    OpCase(name: "mean_axis") { $0[0].mean(alongAxis: -1) },
    OpCase(name: "mean_all") { $0[0].mean() },
    OpCase(name: "max_axis", function: { $0[0].max(alongAxis: 1) }, epsilon: 1e-3),
    OpCase(name: "reshape") { $0[0].reshaped([4, 6]) * Tensor.arange(24).reshaped([4, 6]) },
    OpCase(name: "permute") { $0[0].permuted([2, 0, 1]) },
    OpCase(name: "transpose") { $0[0].transposed(0, 2) },
    OpCase(name: "slice_axis1") { $0[0].sliced(1..<4, alongAxis: 1) },
    OpCase(name: "slice_axis0") { $0[0].sliced(2..<5) },
    OpCase(name: "gather_rows") { $0[0].gatheringRows([1, 0, 1, 3]) },
    OpCase(name: "concat_axis1") { concatenate($0, alongAxis: 1) },
    OpCase(name: "expand") { $0[0].expanded(to: [2, 3, 4]) },
    OpCase(name: "matmul") { matmul($0[0], $0[1]) },
    OpCase(name: "matmul_transpose_b") { matmul($0[0], $0[1], transposeB: true) },
    OpCase(name: "matmul_transpose_a") { matmul($0[0], $0[1], transposeA: true) },
    OpCase(name: "matmul_shared_weight") { matmul($0[0], $0[1], transposeB: true) },
    OpCase(name: "matmul_batched") { batchedMatmul($0[0], $0[1]) },
    OpCase(name: "matmul_batched_transposes") { batchedMatmul($0[0], $0[1], transposeA: true, transposeB: true) },
    OpCase(name: "softmax") { softmax($0[0]) },
    OpCase(name: "softmax_axis0") { softmax($0[0], axis: 0) },
    OpCase(name: "log_softmax") { logSoftmax($0[0]) },
    OpCase(name: "cross_entropy") { crossEntropy($0[0], targets: [0, 6, 3, 3, 1]) },
    OpCase(name: "layer_norm") { layerNorm($0[0], weight: $0[1], bias: $0[2]) },
    OpCase(name: "gelu") { gelu($0[0]) },
    OpCase(name: "quick_gelu") { quickGELU($0[0]) },
    OpCase(name: "gelu_tanh") { geluTanh($0[0]) },
    OpCase(name: "l2_normalize") { l2Normalize($0[0]) },
    OpCase(name: "attention") { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2]) },
    OpCase(name: "attention_causal") { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], causal: true) },
    OpCase(name: "attention_masked") {
        let mask = Tensor(shape: [4, 4], scalars: Array([[Float]](repeating: causalMaskRow, count: 4).joined()))
        return scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], mask: mask)
    },
    OpCase(name: "conv2d_padded") { conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1)) },
    OpCase(name: "conv2d_patchify") { conv2d($0[0], weight: $0[1], stride: (4, 4)) },
    OpCase(name: "avg_pool2d") { avgPool2d($0[0], kernel: (2, 2)) },
    OpCase(name: "avg_pool2d_padded") { avgPool2d($0[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)) },
    OpCase(name: "embedding") { embedding($0[0], indices: [3, 0, 9, 3, 3, 1], shape: [2, 3]) },
    OpCase(name: "patchified") { patchified($0[0], patchSize: 4) },
    OpCase(name: "linear") { linear($0[0], weight: $0[1], bias: $0[2]) },
    OpCase(name: "linear_residual") { linear($0[0], weight: $0[1], bias: $0[2], addingTo: $0[3]) },
    OpCase(name: "linear_no_bias") { linear($0[0], weight: $0[1], bias: nil) },
    OpCase(name: "packed_attention") { packedSelfAttention($0[0], heads: 2) },
    OpCase(name: "packed_attention_causal") { packedSelfAttention($0[0], heads: 4, causal: true) },
]
