import CLIPModel
import CLIPNN
import CLIPTensor
import Foundation

/// Random initial weights for training from scratch, as open_clip initialises a new `CLIP`: the text
/// tower by `CLIP.init_parameters` (token embedding σ 0.02, positions σ 0.01, attention σ W^-½,
/// projections σ W^-½ (2L)^-½, MLP input σ (2W)^-½, text projection σ W^-½), the ViT's class and
/// positional embeddings and projection σ W^-½, and PyTorch's layer defaults elsewhere (Linear and
/// Conv2d weights and biases uniform ±1/√fan-in, attention input projections Xavier-uniform with zero
/// biases, LayerNorm 1 and 0); `logit_scale` = ln(1/0.07) unless the configuration says otherwise.
public enum ModelInitializer {
    /// Draws every weight of `model` from `seed` with open_clip's initialisation.
    public static func initialize(_ model: CLIP, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let configuration = model.configuration
        let textWidth = Float(configuration.text.width), textLayers = Float(configuration.text.layers)
        let attentionStd = 1 / textWidth.squareRoot()
        let projectionStd = attentionStd / (2 * textLayers).squareRoot()
        let mlpStd = 1 / (2 * textWidth).squareRoot()
        let visionScale = 1 / Float(configuration.vision.width).squareRoot()
        for (name, parameter) in model.namedParameters() {
            let shape = parameter.wrappedValue.shape
            let fanIn = shape.count >= 2 ? shape.dropFirst().reduce(1, *) : max(shape.first ?? 1, 1)
            let elementCount = shape.reduce(1, *)
            let values: [Float]
            func normal(_ std: Float) -> [Float] { (0..<elementCount).map { _ in generator.nextNormal() * std } }
            func uniform(_ bound: Float) -> [Float] { (0..<elementCount).map { _ in (generator.nextUniform() * 2 - 1) * bound } }
            func constant(_ value: Float) -> [Float] { [Float](repeating: value, count: elementCount) }
            let isText = !name.hasPrefix("visual.")
            switch true {
            case name == "logit_scale": values = constant(Float(configuration.initLogitScale ?? Foundation.log(1 / 0.07)))
            case name == "logit_bias": values = constant(Float(configuration.initLogitBias ?? 0))
            case name.hasSuffix("running_mean"): values = constant(0)
            case name.hasSuffix("running_var"): values = constant(1)
            case name == "token_embedding.weight": values = normal(0.02)
            case name == "positional_embedding": values = normal(0.01)
            case name == "text_projection": values = normal(attentionStd)
            case name == "visual.class_embedding", name == "visual.positional_embedding", name == "visual.proj": values = normal(visionScale)
            case name.contains("ln_") || name.contains(".bn") || name.hasSuffix("ln_final.weight") || name.hasSuffix("ln_final.bias"):
                values = constant(name.hasSuffix("weight") ? 1 : 0)
            case isText && name.hasSuffix("attn.in_proj_weight"): values = normal(attentionStd)
            case isText && name.hasSuffix("attn.out_proj.weight"): values = normal(projectionStd)
            case isText && name.hasSuffix("mlp.c_fc.weight"): values = normal(mlpStd)
            case isText && name.hasSuffix("mlp.c_proj.weight"): values = normal(projectionStd)
            case name.hasSuffix("in_proj_weight"):
                let fanOut = shape[0] / 3
                values = uniform((6 / Float(fanIn + fanOut)).squareRoot())
            case name.hasSuffix("in_proj_bias") || name.hasSuffix("attn.out_proj.bias"): values = constant(0)
            case name.hasSuffix("bias"): values = uniform(1 / Float(max(shapeFanIn(model, name) ?? fanIn, 1)).squareRoot())
            default: values = uniform(1 / Float(fanIn).squareRoot())
            }
            parameter.wrappedValue = Tensor(shape: shape, scalars: values)
        }
    }

    /// The fan-in of the weight beside a bias (`….bias` → `….weight`).
    private static func shapeFanIn(_ model: CLIP, _ biasName: String) -> Int? {
        let weightName = String(biasName.dropLast("bias".count)) + "weight"
        guard let weight = model.namedParameters().first(where: { $0.name == weightName })?.parameter.wrappedValue,
              weight.rank >= 2 else { return nil }
        return weight.shape.dropFirst().reduce(1, *)
    }
}
