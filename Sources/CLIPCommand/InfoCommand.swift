import ArgumentParser
import CLIPModel
import Foundation

/// `clip info`: what a model is, as one JSON object.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a model: layout, architecture, parameter count, sizes, preprocessing, dtype.")

    @OptionGroup var options: ModelOptions

    func run() throws {
        let loaded = try options.load()
        let configuration = loaded.model.configuration
        let vision = configuration.vision
        var visionInfo: [String: Any] = ["type": vision.isResNet ? "modified_resnet" : "vit", "width": vision.width,
                                         "layers": vision.isResNet ? vision.layers : vision.layers[0] as Any, "heads": vision.heads]
        if let patch = vision.patchSize { visionInfo["patch_size"] = patch }
        let info: [String: Any] = [
            "layout": loaded.layout.rawValue,
            "architecture": loaded.architectureName ?? (loaded.layout == .stateDict && options.arch == nil ? "inferred" : "from configuration"),
            "parameters": loaded.model.parameterCount,
            "embed_dim": configuration.embedDim,
            "image_size": vision.imageSize,
            "mean": loaded.preprocessor.mean.map(shortest),
            "std": loaded.preprocessor.standardDeviation.map(shortest),
            "context_length": configuration.text.contextLength,
            "vocab_size": configuration.text.vocabSize,
            "activation": configuration.activation.rawValue,
            "dtype": loaded.storedTypes.joined(separator: ","),
            "vision": visionInfo,
            "text": ["width": configuration.text.width, "layers": configuration.text.layers, "heads": configuration.text.heads],
            "weights": loaded.weightsPath,
        ]
        print(try jsonLine(info))
    }
}
