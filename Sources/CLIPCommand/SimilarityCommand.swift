import ArgumentParser
import CLIPImage
import CLIPModel
import CLIPTensor
import Foundation

/// `clip similarity`: for each image, the softmax over the texts of exp(logit_scale) · cosine.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "For each image, the probability of each text (softmax over the texts of the model's logits).")

    @OptionGroup var options: ModelOptions

    @Option(name: .customLong("image"), help: "An image (repeatable).")
    var images: [String] = []

    @Option(name: .customLong("text"), help: "A candidate text (repeatable).")
    var texts: [String] = []

    func validate() throws {
        guard !images.isEmpty, !texts.isEmpty else { throw ValidationError("give at least one --image and one --text") }
    }

    func run() throws {
        let loaded = try options.load()
        let embedder = Embedder(loaded: loaded, normalize: true, batchSize: 32)
        let textFeatures = try embedder.embed(texts: texts)
        let imageFeatures = try embedder.embed(imagePaths: images)
        let width = loaded.model.configuration.embedDim
        let probabilities = withNoGrad {
            let logits = loaded.model.logits(imageFeatures: Tensor(shape: [images.count, width], scalars: imageFeatures.flatMap { $0 }),
                                             textFeatures: Tensor(shape: [texts.count, width], scalars: textFeatures.flatMap { $0 }))
            return softmax(logits).scalars
        }
        let rows = images.enumerated().map { index, path -> [String: Any] in
            ["image": path, "probabilities": (0..<texts.count).map { shortest(probabilities[index * texts.count + $0]) }]
        }
        print(try jsonLine(["texts": texts, "logit_scale": shortest(loaded.model.logitScale.item()), "images": rows]))
    }
}
