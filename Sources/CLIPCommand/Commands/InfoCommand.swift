import ArgumentParser
import CLIPModel
import Foundation

/// `clip info`: what a model is.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a model: family, layout, architecture, parameter count, sizes, tokenizer, scoring, preprocessing, dtype.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var report: ReportOptions

    /// A model's description.
    struct InfoReport: Report {
        struct Vision: Encodable {
            let type: String
            let width: Int
            let layers: [Int]
            let heads: Int
            let patchSize: Int?

            enum CodingKeys: String, CodingKey {
                case type, width, layers, heads
                case patchSize = "patch_size"
            }
        }

        struct Text: Encodable {
            let width: Int
            let layers: Int
            let heads: Int
        }

        let family: String
        let layout: String
        let architecture: String
        let parameters: Int
        let embedDim: Int
        let imageSize: Int
        let mean: [Float]
        let std: [Float]
        let contextLength: Int
        let vocabSize: Int
        let activation: String
        let dtype: String
        let precision: String
        let vision: Vision
        let textTower: Text
        let tokenizer: String
        let scoring: String
        let weights: String

        enum CodingKeys: String, CodingKey {
            case family, layout, architecture, parameters, mean, std, activation, dtype, precision, vision, weights, tokenizer, scoring
            case textTower = "text"
            case embedDim = "embed_dim", imageSize = "image_size", contextLength = "context_length", vocabSize = "vocab_size"
        }

        var text: String {
            let tower = vision.type == "modified_resnet"
                ? "ModifiedResNet, width \(vision.width), layers \(vision.layers.map(String.init).joined(separator: "-")), \(vision.heads) heads"
                : "\(vision.type == "vit_map" ? "ViT with attention pooling" : "ViT"), width \(vision.width), \(vision.layers[0]) layers, \(vision.heads) heads, patch \(vision.patchSize ?? 0)"
            return """
            family:       \(family)
            weights:      \(weights) (\(layout), \(dtype.isEmpty ? "in memory" : dtype))
            architecture: \(architecture)
            parameters:   \(parameters)
            embedding:    \(embedDim)
            image tower:  \(tower), \(imageSize)×\(imageSize) input
            text tower:   width \(textTower.width), \(textTower.layers) layers, \(textTower.heads) heads, context \(contextLength), vocabulary \(vocabSize)
            tokenizer:    \(tokenizer)
            scoring:      \(scoring)
            activation:   \(activation)
            precision:    \(precision)
            mean / std:   \(mean) / \(std)
            """
        }
    }

    func run() throws {
        let loaded = try model.load()
        let configuration = loaded.model.configuration
        let vision = configuration.vision
        let tokenizer: String
        do { tokenizer = try loaded.makeTokenizer().kind } catch { tokenizer = "unavailable: \(error)" }
        try report.emit(InfoReport(
            family: configuration.family.rawValue,
            layout: loaded.layout.rawValue,
            architecture: loaded.architectureName ?? (loaded.layout == .stateDict && model.arch == nil ? "inferred" : "from configuration"),
            parameters: loaded.model.parameterCount, embedDim: configuration.embedDim, imageSize: vision.imageSize,
            mean: loaded.preprocessor.mean, std: loaded.preprocessor.standardDeviation,
            contextLength: configuration.text.contextLength, vocabSize: configuration.text.vocabSize,
            activation: (vision.activation ?? configuration.activation).rawValue, dtype: loaded.storedTypes.joined(separator: ","),
            precision: loaded.model.computePrecision.rawValue,
            vision: .init(type: vision.isResNet ? "modified_resnet" : vision.pooling == .attentionPool ? "vit_map" : "vit",
                          width: vision.width, layers: vision.layers,
                          heads: vision.heads, patchSize: vision.patchSize),
            textTower: .init(width: configuration.text.width, layers: configuration.text.layers, heads: configuration.text.heads),
            tokenizer: tokenizer, scoring: configuration.scoring.rawValue,
            weights: loaded.weightsPath))
    }
}
