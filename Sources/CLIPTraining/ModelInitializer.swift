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
/// A SigLIP model's text tower (under `text.`) starts the same way (its biased projection with zero
/// bias); its timm image tower as timm starts a ViT: weights and positions σ 0.02 (timm truncates
/// at ±2σ; here the normal is not truncated), the attention-pool query σ W^-½, biases 0, norms 1 and 0.
/// A Hugging Face text tower (`text.transformer.…`) starts as transformers starts BERT, its
/// projection (`text.proj.…`) with PyTorch's Linear default.
public enum ModelInitializer {
    /// How one parameter starts: each element drawn from a distribution, or a constant.
    public enum InitialValues: Equatable, Sendable {
        case normal(std: Float)
        case uniform(bound: Float)
        case constant(Float)
    }

    /// Draws every weight of `model` from `seed` with open_clip's initialisation.
    public static func initialize(_ model: CLIP, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        let initial = initialValues(of: model)
        for (name, parameter) in model.namedParameters() {
            let shape = parameter.wrappedValue.shape
            let elementCount = shape.reduce(1, *)
            let values: [Float]
            switch initial[name]! {
            case .normal(let std): values = (0..<elementCount).map { _ in generator.nextNormal() * std }
            case .uniform(let bound): values = (0..<elementCount).map { _ in (generator.nextUniform() * 2 - 1) * bound }
            case .constant(let value): values = [Float](repeating: value, count: elementCount)
            }
            parameter.wrappedValue = Tensor(shape: shape, scalars: values)
        }
    }

    /// The initial values of every parameter of `model`, by state-dict name.
    public static func initialValues(of model: CLIP) -> [String: InitialValues] {
        let shapes = model.stateDict().mapValues(\.shape)
        return Dictionary(uniqueKeysWithValues: shapes.keys.map {
            ($0, initialValues(of: $0, configuration: model.configuration, shapes: shapes))
        })
    }

    private static func initialValues(of fullName: String, configuration: CLIPConfiguration, shapes: [String: [Int]]) -> InitialValues {
        if fullName.hasPrefix("visual.trunk.") { return timmInitialValues(of: fullName, configuration: configuration) }
        if configuration.text.huggingFace != nil, fullName.hasPrefix("text.transformer.") { return huggingFaceInitialValues(of: fullName) }
        let name = configuration.customText && fullName.hasPrefix("text.") ? String(fullName.dropFirst("text.".count)) : fullName
        if name == "text_projection.weight" { return .normal(std: 1 / Float(configuration.text.width).squareRoot()) }
        if name == "text_projection.bias" { return .constant(0) }
        let textWidth = Float(configuration.text.width), textLayers = Float(configuration.text.layers)
        let attentionStd = 1 / textWidth.squareRoot()
        let projectionStd = attentionStd / (2 * textLayers).squareRoot()
        let mlpStd = 1 / (2 * textWidth).squareRoot()
        let visionScale = 1 / Float(configuration.vision.width).squareRoot()
        let shape = shapes[fullName] ?? []
        let fanIn = shape.count >= 2 ? shape.dropFirst().reduce(1, *) : max(shape.first ?? 1, 1)
        let isText = !name.hasPrefix("visual.")
        switch true {
        case name == "logit_scale": return .constant(Float(configuration.initLogitScale ?? Foundation.log(1 / 0.07)))
        case name == "logit_bias": return .constant(Float(configuration.initLogitBias ?? 0))
        case name.hasSuffix("running_mean"): return .constant(0)
        case name.hasSuffix("running_var"): return .constant(1)
        case name == "token_embedding.weight": return .normal(std: 0.02)
        case name == "positional_embedding": return .normal(std: 0.01)
        case name == "text_projection": return .normal(std: attentionStd)
        case name == "visual.class_embedding", name == "visual.positional_embedding", name == "visual.proj": return .normal(std: visionScale)
        case name.contains("ln_") || name.contains(".bn") || name.hasSuffix("ln_final.weight") || name.hasSuffix("ln_final.bias"):
            return .constant(name.hasSuffix("weight") ? 1 : 0)
        case isText && name.hasSuffix("attn.in_proj_weight"): return .normal(std: attentionStd)
        case isText && name.hasSuffix("attn.out_proj.weight"): return .normal(std: projectionStd)
        case isText && name.hasSuffix("mlp.c_fc.weight"): return .normal(std: mlpStd)
        case isText && name.hasSuffix("mlp.c_proj.weight"): return .normal(std: projectionStd)
        case name.hasSuffix("in_proj_weight"):
            let fanOut = shape[0] / 3
            return .uniform(bound: (6 / Float(fanIn + fanOut)).squareRoot())
        case name.hasSuffix("in_proj_bias") || name.hasSuffix("attn.out_proj.bias"): return .constant(0)
        case name.hasSuffix("bias"): return .uniform(bound: 1 / Float(max(biasFanIn(fullName, shapes) ?? fanIn, 1)).squareRoot())
        default: return .uniform(bound: 1 / Float(fanIn).squareRoot())
        }
    }

    /// timm's ViT initialisation (`init_weights`), without the truncation.
    private static func timmInitialValues(of name: String, configuration: CLIPConfiguration) -> InitialValues {
        let parts = name.split(separator: ".")
        let isNorm = parts.dropLast().last.map { $0.hasPrefix("norm") } ?? false
        switch true {
        case isNorm: return .constant(name.hasSuffix("weight") ? 1 : 0)
        case name.hasSuffix("bias"): return .constant(0)
        case name.hasSuffix("attn_pool.latent"): return .normal(std: 1 / Float(configuration.vision.width).squareRoot())
        default: return .normal(std: 0.02)
        }
    }

    /// transformers' BERT initialisation (`_init_weights`, `initializer_range` 0.02): weights and
    /// embeddings σ 0.02, biases 0, LayerNorms 1 and 0 (the pad token's embedding row is drawn too,
    /// where transformers zeroes it; training moves it either way).
    private static func huggingFaceInitialValues(of name: String) -> InitialValues {
        if name.contains(".LayerNorm.") { return .constant(name.hasSuffix("weight") ? 1 : 0) }
        return name.hasSuffix("bias") ? .constant(0) : .normal(std: 0.02)
    }

    /// The fan-in of the weight beside a bias (`….bias` → `….weight`).
    private static func biasFanIn(_ biasName: String, _ shapes: [String: [Int]]) -> Int? {
        let weightName = String(biasName.dropLast("bias".count)) + "weight"
        guard let weight = shapes[weightName], weight.count >= 2 else { return nil }
        return weight.dropFirst().reduce(1, *)
    }
}
