import Foundation
// Same computation as open_clip `model.py` `CLIP`: two towers into one embedding space, logits as
// exp(logit_scale) × cosine similarity.
// Legend: N images, M texts, E embedding width.
import CLIPNN
import CLIPTensor

/// A CLIP model: an image tower (`visual.…`) and a text tower (top-level keys), with the learnable
/// temperature `logit_scale`. Parameter names equal open_clip's state-dict keys.
///
/// ```swift
/// let model = try CLIPLoader.load(path: "ViT-B-32/").model
/// let image = try model.encodeImage(pixels)              // [N, 3, 224, 224] -> [N, 512]
/// let text = try model.encodeText(tokenizer.tokenize(["a dog", "a cat"]))
/// let logits = model.logits(imageFeatures: image, textFeatures: text)   // [N, 2]
/// ```
public final class CLIP: Module {
    /// The architecture.
    public let configuration: CLIPConfiguration
    /// The image tower (`visual.…` keys).
    public let visual: any ImageEncoder
    /// The text tower, whose keys sit at the top of the state dict (under `text.` for custom-text models).
    @ModuleInfo(key: "") var text: any TextEncoder
    /// ln(1/τ); training initialises it to ln(1/0.07) (open_clip's `init_logit_scale`).
    @Parameter(key: "logit_scale") public var logitScale: Tensor   // []
    /// SigLIP's learnable bias, present when the configuration sets `init_logit_bias`.
    @OptionalParameter(key: "logit_bias") public var logitBias: Tensor?   // []
    /// The precision of the model's matrix products (`setComputePrecision`); f32 until set.
    public internal(set) var computePrecision = ComputePrecision.f32

    /// A model of `configuration` with zero weights; load weights or initialise it.
    public init(_ configuration: CLIPConfiguration) {
        self.configuration = configuration
        let visionActivation = configuration.vision.activation ?? configuration.activation
        if configuration.vision.isResNet {
            visual = ModifiedResNet(configuration.vision, embedDim: configuration.embedDim)
        } else if configuration.vision.pooling == .attentionPool {
            visual = SigLIPVisionTransformer(configuration.vision, activation: visionActivation)
        } else {
            visual = VisionTransformer(configuration.vision, embedDim: configuration.embedDim, activation: visionActivation)
        }
        if configuration.customText { _text = ModuleInfo(key: "text") }
        super.init()
        if let tower = configuration.text.huggingFace {
            text = HuggingFaceTextEncoder(configuration.text, tower: tower, embedDim: configuration.embedDim)
        } else {
            text = TextTransformer(configuration.text, embedDim: configuration.embedDim, activation: configuration.activation)
        }
        logitScale = Tensor(Float(configuration.initLogitScale ?? _log(1 / 0.07)))
        logitBias = configuration.initLogitBias.map { Tensor(Float($0)) }
    }

    /// Image features `[N, E]` for normalised pixels `[N, 3, S, S]` (L2-normalised when asked).
    public func encodeImage(_ images: Tensor, normalize: Bool = false) throws -> Tensor {
        let size = visual.imageSize
        guard images.rank == 4, images.shape[1] == 3, images.shape[2] == size, images.shape[3] == size else {
            throw ModelError.imageSizeMismatch(expected: size, found: images.shape)
        }
        let features = visual(images)
        return normalize ? l2Normalize(features) : features
    }

    /// Text features `[M, E]` for token-id rows of equal length (L2-normalised when asked).
    public func encodeText(_ tokens: [[Int]], normalize: Bool = false) throws -> Tensor {
        let features = try text(tokens)
        return normalize ? l2Normalize(features) : features
    }

    /// `exp(logit_scale) · cos(image, text)`, plus `logit_bias` when the model has one (SigLIP):
    /// `[N, M]` logits per image. See `configuration.scoring` for how they become scores.
    public func logits(imageFeatures: Tensor, textFeatures: Tensor) -> Tensor {
        let scaled = matmul(l2Normalize(imageFeatures), l2Normalize(textFeatures), transposeB: true) * exp(logitScale)
        return logitBias.map { scaled + $0 } ?? scaled
    }
}

private func _log(_ x: Double) -> Double { Foundation.log(x) }
