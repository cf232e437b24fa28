import CLIPFileSystem
import CLIPNN
import Foundation

/// A CLIP architecture, as open_clip's model configuration JSON describes it
/// (`{"embed_dim": 512, "quick_gelu": true, "vision_cfg": {...}, "text_cfg": {...}}`).
public struct CLIPConfiguration: Codable, Sendable, Equatable {
    /// The width of the shared embedding space.
    public var embedDim: Int
    /// QuickGELU instead of exact GELU (OpenAI's models).
    public var quickGELU: Bool
    /// The image tower.
    public var vision: VisionConfiguration
    /// The text tower.
    public var text: TextConfiguration
    /// The initial `logit_scale` for training (open_clip's `init_logit_scale`, default ln(1/0.07)).
    public var initLogitScale: Double?
    /// SigLIP models have a learnable `logit_bias` (open_clip's `init_logit_bias`, −10 for SigLIP).
    public var initLogitBias: Double?
    /// The text tower's keys sit under `text.` (open_clip's `CustomTextCLIP`: SigLIP, XLM-R, …)
    /// rather than at the top of the state dict.
    public var customText = false

    /// A configuration with these towers.
    public init(embedDim: Int, quickGELU: Bool = false, vision: VisionConfiguration, text: TextConfiguration,
                initLogitScale: Double? = nil, initLogitBias: Double? = nil) {
        self.embedDim = embedDim
        self.quickGELU = quickGELU
        self.vision = vision
        self.text = text
        self.initLogitScale = initLogitScale
        self.initLogitBias = initLogitBias
    }

    /// The MLP activation of both towers, unless a tower sets its own.
    public var activation: Activation { quickGELU ? .quickGELU : .gelu }

    /// The model family the architecture belongs to.
    public var family: ModelFamily {
        if vision.pooling == .attentionPool { return .sigLIP }
        guard let tower = text.huggingFace else { return .clip }
        return tower.modelName == ChineseCLIPHuggingFaceCheckpoint.textModelName ? .chineseCLIP : .huggingFaceText
    }

    /// How image–text scores read: a model with a `logit_bias` (SigLIP-trained) scores each pair by
    /// `sigmoid(exp(t)·cos + b)`, any other by a softmax over the candidates.
    public var scoring: Scoring { initLogitBias == nil ? .softmax : .sigmoid }

    enum CodingKeys: String, CodingKey {
        case embedDim = "embed_dim", quickGELU = "quick_gelu", vision = "vision_cfg", text = "text_cfg"
        case initLogitScale = "init_logit_scale", initLogitBias = "init_logit_bias"
    }

    /// Decodes open_clip's `model_cfg` keys.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        embedDim = try container.decode(Int.self, forKey: .embedDim)
        quickGELU = try container.decodeIfPresent(Bool.self, forKey: .quickGELU) ?? false
        initLogitScale = try container.decodeIfPresent(Double.self, forKey: .initLogitScale)
        initLogitBias = try container.decodeIfPresent(Double.self, forKey: .initLogitBias)
        vision = try container.decode(VisionConfiguration.self, forKey: .vision)
        text = try container.decode(TextConfiguration.self, forKey: .text)
    }
}

/// The published model families: their towers, tokenizers and scoring differ.
public enum ModelFamily: String, Sendable, Codable {
    /// OpenAI's CLIP and open_clip's models of its architecture (ViT or ModifiedResNet, BPE text tower).
    case clip
    /// Google's SigLIP and SigLIP 2 (attention-pooled ViT, SentencePiece or Gemma text tower, sigmoid scores).
    case sigLIP = "siglip"
    /// OFA-Sys Chinese-CLIP (CLIP's ViT, a Chinese BERT text tower pooled at [CLS]).
    case chineseCLIP = "chinese-clip"
    /// open_clip's models with a Hugging Face text tower (XLM-RoBERTa, RoBERTa), masked mean pooling.
    case huggingFaceText = "hf-text"
}

/// How a model turns image–text logits into scores.
public enum Scoring: String, Sendable, Codable {
    /// A softmax over the candidate texts (CLIP's contrastive training).
    case softmax
    /// An independent probability per pair, `sigmoid(logit)` (SigLIP's pairwise training).
    case sigmoid
}

/// How an image tower pools its tokens into one feature.
public enum VisionPooling: String, Sendable, Codable {
    /// The class token (CLIP's ViT).
    case classToken = "tok"
    /// Multi-head attention by one learned query over every token, then an MLP (SigLIP's MAP head).
    case attentionPool = "map"
}

/// Which token a text tower pools.
public enum TextPooling: String, Sendable, Codable {
    /// The first position of the largest id (CLIP's end token).
    case argmax
    /// The last position (SigLIP, whose text is padded to a fixed length).
    case last
    /// The first position (BERT's [CLS]).
    case first
}

/// The image tower: a ViT when `patchSize` is set, else a ModifiedResNet with four stage depths.
public struct VisionConfiguration: Codable, Sendable, Equatable {
    /// The input side in pixels.
    public var imageSize: Int
    /// ViT depth, or the ResNet's four stage depths.
    public var layers: [Int]
    /// The tower's width (ViT) or first stage's (ResNet).
    public var width: Int
    /// The width of one attention head.
    public var headWidth: Int
    /// The MLP's hidden width over the tower's width.
    public var mlpRatio: Double
    /// An exact MLP width, where `width · mlpRatio` is not an integer (Hugging Face configurations).
    public var mlpWidthOverride: Int?
    /// The ViT patch side; nil for a ModifiedResNet.
    public var patchSize: Int?
    /// How the ViT pools: the class token (CLIP) or attention pooling (SigLIP, whose tower then has
    /// no class token and no pre-norm, and timm's key names).
    public var pooling = VisionPooling.classToken
    /// Added to the variance in every LayerNorm (1e-5 in CLIP, 1e-6 in SigLIP).
    public var normEpsilon = 1e-5
    /// The MLP activation when it differs from the model's.
    public var activation: Activation?
    /// open_clip's `timm_model_name`, for a timm tower (SigLIP's).
    public var timmModelName: String?

    /// A vision configuration with these values.
    public init(imageSize: Int, layers: [Int], width: Int, headWidth: Int = 64, mlpRatio: Double = 4, patchSize: Int?,
                mlpWidthOverride: Int? = nil) {
        self.imageSize = imageSize
        self.layers = layers
        self.width = width
        self.headWidth = headWidth
        self.mlpRatio = mlpRatio
        self.patchSize = patchSize
        self.mlpWidthOverride = mlpWidthOverride
    }

    /// Whether the tower is a ModifiedResNet.
    public var isResNet: Bool { patchSize == nil }
    /// Attention heads (of the ViT, or of the ResNet's attention pool).
    public var heads: Int { isResNet ? width * 32 / headWidth : width / headWidth }
    /// open_clip's `int(width * mlp_ratio)`.
    public var mlpWidth: Int { mlpWidthOverride ?? Int(Double(width) * mlpRatio) }

    enum CodingKeys: String, CodingKey {
        case imageSize = "image_size", layers, width, headWidth = "head_width", mlpRatio = "mlp_ratio", patchSize = "patch_size"
        case mlpWidthOverride = "mlp_width"
    }

    /// Options of open_clip's vision config that change the computation; any set to a non-default
    /// value is refused rather than silently ignored.
    static var unsupportedOptions: [String: Any] { [
        "ls_init_value": NSNull(), "attentional_pool": false, "no_ln_pre": false, "final_ln_after_pool": false,
        "pool_type": "tok", "pos_embed_type": "learnable", "qk_norm": false,
        "scaled_cosine_attn": false, "scale_heads": false, "scale_attn_inner": false, "scale_attn": false,
        "scale_fc": false, "block_type": NSNull(), "norm_kwargs": NSNull(),
    ] }

    /// Decodes open_clip's `vision_cfg` keys (`layers` an integer or a list).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        imageSize = try container.decode(FlexibleSize.self, forKey: .imageSize).value
        if let depth = try? container.decode(Int.self, forKey: .layers) {
            layers = [depth]
        } else {
            layers = try container.decode([Int].self, forKey: .layers)
        }
        width = try container.decode(Int.self, forKey: .width)
        headWidth = try container.decodeIfPresent(Int.self, forKey: .headWidth) ?? 64
        mlpRatio = try container.decodeIfPresent(Double.self, forKey: .mlpRatio) ?? 4
        patchSize = try container.decodeIfPresent(Int.self, forKey: .patchSize)
        mlpWidthOverride = try container.decodeIfPresent(Int.self, forKey: .mlpWidthOverride)
    }
}

/// The text tower: a causal transformer over token embeddings, pooled at the end token.
public struct TextConfiguration: Codable, Sendable, Equatable {
    /// Tokens per text, start and end included.
    public var contextLength: Int
    /// The token embedding's rows.
    public var vocabSize: Int
    /// The tower's width.
    public var width: Int
    /// Attention heads.
    public var heads: Int
    /// Residual blocks.
    public var layers: Int
    /// The MLP's hidden width over the tower's width.
    public var mlpRatio: Double
    /// An MLP width given outright (Hugging Face's `intermediate_size`), overriding the ratio.
    public var mlpWidthOverride: Int?
    /// Tokens attend only to earlier tokens (CLIP); SigLIP's text tower attends both ways.
    public var causal = true
    /// The token pooled into the text feature.
    public var pooling = TextPooling.argmax
    /// The projection is a linear layer with a bias (`text_projection.weight` `[E, W]` and `.bias`)
    /// rather than a bare `[W, E]` matrix.
    public var projectionBias = false
    /// Added to the variance in every LayerNorm.
    public var normEpsilon = 1e-5
    /// The MLP activation when it differs from the model's.
    public var activation: Activation?
    /// open_clip's `hf_tokenizer_name`: the text is tokenized by that Hugging Face tokenizer
    /// (`tokenizer.json` beside the weights) rather than CLIP's BPE.
    public var tokenizerName: String?
    /// open_clip's `tokenizer_kwargs.clean` for that tokenizer (`whitespace`, `lower`, `canonicalize`).
    public var tokenizerCleaning: String?
    /// A Hugging Face BERT or XLM-RoBERTa tower (post-norm, padding masked) instead of CLIP's; nil
    /// for CLIP's and SigLIP's towers.
    public var huggingFace: HuggingFaceTextConfiguration?

    /// A text configuration with these values.
    public init(contextLength: Int = 77, vocabSize: Int = 49408, width: Int, heads: Int, layers: Int,
                mlpRatio: Double = 4, mlpWidthOverride: Int? = nil) {
        self.contextLength = contextLength
        self.vocabSize = vocabSize
        self.width = width
        self.heads = heads
        self.layers = layers
        self.mlpRatio = mlpRatio
        self.mlpWidthOverride = mlpWidthOverride
    }

    /// The MLP's hidden width.
    public var mlpWidth: Int { mlpWidthOverride ?? Int(Double(width) * mlpRatio) }

    static var unsupportedOptions: [String: Any] { [
        "ls_init_value": NSNull(), "embed_cls": false, "final_ln_after_pool": false, "proj_type": "linear",
        "qk_norm": false, "scaled_cosine_attn": false, "scale_heads": false, "scale_attn_inner": false,
        "scale_attn": false, "scale_fc": false, "block_type": NSNull(),
    ] }

    enum CodingKeys: String, CodingKey {
        case contextLength = "context_length", vocabSize = "vocab_size", width, heads, layers, mlpRatio = "mlp_ratio"
        case mlpWidthOverride = "mlp_width"
    }

    /// Decodes open_clip's `text_cfg` keys.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        contextLength = try container.decodeIfPresent(Int.self, forKey: .contextLength) ?? 77
        vocabSize = try container.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 49408
        width = try container.decodeIfPresent(Int.self, forKey: .width) ?? 512
        heads = try container.decodeIfPresent(Int.self, forKey: .heads) ?? 8
        layers = try container.decodeIfPresent(Int.self, forKey: .layers) ?? 12
        mlpRatio = try container.decodeIfPresent(Double.self, forKey: .mlpRatio) ?? 4
        mlpWidthOverride = try container.decodeIfPresent(Int.self, forKey: .mlpWidthOverride)
    }
}

/// `image_size` as an integer or a square `[h, w]` pair.
private struct FlexibleSize: Decodable {
    let value: Int
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let size = try? container.decode(Int.self) {
            value = size
        } else {
            let pair = try container.decode([Int].self)
            guard pair.count == 2, pair[0] == pair[1] else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "only square image sizes are supported, got \(pair)")
            }
            value = pair[0]
        }
    }
}

extension CLIPConfiguration {
    /// Parses an open_clip model configuration, refusing options that would change the computation
    /// but that this port does not implement.
    ///
    /// A Hugging Face text tower (`hf_model_name`) is sized from a known name, from
    /// `textModelDirectory/config.json` when given, or from `<hf_model_name>/config.json` beside
    /// the configuration.
    public static func openCLIP(json data: Data, source: String, textModelDirectory: String? = nil) throws -> CLIPConfiguration {
        var root = try JSONConfigurationFile.object(data, source: source)
        if let nested = root["model_cfg"] as? [String: Any] { root = nested }   // open_clip_config.json
        try checkOptions(root["vision_cfg"], VisionConfiguration.unsupportedOptions, "vision_cfg", source)
        try checkOptions(root["text_cfg"], TextConfiguration.unsupportedOptions, "text_cfg", source)
        if let vision = root["vision_cfg"] as? [String: Any] { root["vision_cfg"] = try timmVisionSection(vision, source: source) }
        do {
            var configuration = try JSONDecoder().decode(CLIPConfiguration.self,
                                                         from: JSONSerialization.data(withJSONObject: root))
            try configuration.applyFamilyOptions(root: root, source: source, textModelDirectory: textModelDirectory)
            try configuration.validate(source: source)
            return configuration
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.invalidConfiguration(path: source, reason: FailureReason.of(error))
        }
    }

    private static func checkOptions(_ section: Any?, _ defaults: [String: Any], _ name: String, _ source: String) throws {
        guard let section = section as? [String: Any] else { return }
        for (key, value) in section {
            guard let expected = defaults[key] else { continue }
            let isDefault = (value is NSNull && expected is NSNull) || ((value as? NSObject)?.isEqual(expected) ?? false)
            if !isDefault {
                throw ModelError.invalidConfiguration(path: source, reason: "\(name).\(key) = \(value) is not supported")
            }
        }
    }

    /// The largest sizes a configuration may ask for, far above every released CLIP (ViT-bigG-14 has
    /// width 1,664, 48 layers and 2.5 billion parameters), so that a hostile or mistyped file is
    /// refused with the limit it breaks instead of allocating without bound.
    public enum Limits {
        /// `embed_dim` and every tower width.
        public static let width = 16_384
        /// Blocks per tower (and per ResNet stage).
        public static let layers = 256
        /// The input image side.
        public static let imageSize = 4_096
        /// Image tokens (patches per side, squared).
        public static let imageTokens = 65_536
        /// Tokens per text.
        public static let contextLength = 16_384
        /// Rows of the token embedding.
        public static let vocabularySize = 10_000_000
        /// The MLP's hidden width over the tower's width.
        public static let mlpRatio = 64.0
        /// All parameters together.
        public static let parameters = 20_000_000_000.0
    }

    /// An estimate of the parameter count (in floating point, so that it cannot overflow).
    var estimatedParameters: Double {
        let v = Double(vision.width), t = Double(text.width)
        let visionBlocks = Double(vision.layers.reduce(0, +)) * (4 + 2 * vision.mlpRatio) * v * v
        let textBlocks = Double(text.layers) * (4 + 2 * Double(text.mlpWidth) / max(t, 1)) * t * t
        let embeddings = Double(text.vocabSize) * t + Double(text.contextLength) * t
        let patches = Double(vision.patchSize ?? 1) * Double(vision.patchSize ?? 1) * 3 * v
        let projections = (v + t) * Double(embedDim) * (vision.isResNet ? 32 : 1)
        return visionBlocks + textBlocks + embeddings + patches + projections
    }

    /// Sizes must be positive, within `Limits`, and divisible where the towers need it.
    public func validate(source: String) throws {
        func fail(_ reason: String) -> ModelError { .invalidConfiguration(path: source, reason: reason) }
        guard embedDim > 0 else { throw fail("embed_dim must be positive") }
        let widths = [("embed_dim", embedDim), ("vision_cfg.width", vision.width), ("text_cfg.width", text.width)]
        for (name, value) in widths where value > Limits.width { throw fail("\(name) = \(value) exceeds the limit of \(Limits.width)") }
        for (name, value) in [("vision_cfg.layers", vision.layers.max() ?? 0), ("text_cfg.layers", text.layers)] where value > Limits.layers {
            throw fail("\(name) = \(value) exceeds the limit of \(Limits.layers)")
        }
        guard vision.imageSize <= Limits.imageSize else { throw fail("image_size = \(vision.imageSize) exceeds the limit of \(Limits.imageSize)") }
        guard text.contextLength <= Limits.contextLength else {
            throw fail("context_length = \(text.contextLength) exceeds the limit of \(Limits.contextLength)")
        }
        guard text.vocabSize <= Limits.vocabularySize else { throw fail("vocab_size = \(text.vocabSize) exceeds the limit of \(Limits.vocabularySize)") }
        guard vision.mlpRatio > 0, vision.mlpRatio <= Limits.mlpRatio, text.mlpRatio > 0, text.mlpRatio <= Limits.mlpRatio,
              text.mlpWidthOverride.map({ $0 > 0 && $0 <= Limits.width * Int(Limits.mlpRatio) }) ?? true else {
            throw fail("mlp_ratio must be in (0, \(Limits.mlpRatio)]")
        }
        guard vision.width > 0, vision.imageSize > 0, vision.headWidth > 0 else { throw fail("vision sizes must be positive") }
        if let patch = vision.patchSize {
            guard patch > 0, vision.layers.count == 1, vision.layers[0] > 0, vision.width % vision.headWidth == 0 else {
                throw fail("a ViT needs a positive patch size, one depth and width divisible by head_width")
            }
            let grid = vision.imageSize / patch
            guard grid >= 1, grid * grid <= Limits.imageTokens else {
                throw fail("image_size / patch_size = \(grid) patches per side: 1…\(Int(Double(Limits.imageTokens).squareRoot())) allowed")
            }
        } else {
            guard vision.layers.count == 4, vision.layers.allSatisfy({ $0 > 0 }), (vision.width * 32) % vision.headWidth == 0,
                  vision.imageSize % 32 == 0 else {
                throw fail("a ModifiedResNet needs four stage depths, an image size divisible by 32 and width·32 divisible by head_width")
            }
        }
        guard text.width > 0, text.heads > 0, text.width % text.heads == 0, text.layers > 0, text.contextLength > 1, text.vocabSize > 0 else {
            throw fail("text sizes must be positive, with width divisible by heads")
        }
        if let tower = text.huggingFace {
            guard tower.maxPositions > 0, tower.maxPositions <= Limits.contextLength + 2, tower.typeVocabSize > 0,
                  tower.typeVocabSize <= Limits.vocabularySize else {
                throw fail("max_position_embeddings and type_vocab_size must be positive and within the context and vocabulary limits")
            }
            guard tower.padID >= 0, tower.padID < text.vocabSize else {
                throw fail("pad_token_id \(tower.padID) is outside the vocabulary of \(text.vocabSize)")
            }
            guard tower.largestPosition(length: text.contextLength) < tower.maxPositions else {
                throw fail("context_length \(text.contextLength) needs more than the \(tower.maxPositions) position embeddings")
            }
        }
        guard estimatedParameters <= Limits.parameters else {
            throw fail(String(format: "about %.3g parameters exceed the limit of %.3g", estimatedParameters, Limits.parameters))
        }
    }
}
