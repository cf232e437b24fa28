import ArgumentParser
import CLIPModel
import CLIPTensor
import Foundation

/// `clip similarity`: for each image, the softmax over the texts of exp(logit_scale) · cosine, or each
/// text's own sigmoid probability for a SigLIP model.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "For each image, the probability of each text (softmax over the texts of the model's logits; each pair's sigmoid for SigLIP models).")

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("image"), help: "An image (repeatable).")
    var images: [String] = []

    @Option(name: .customLong("text"), help: "A candidate text (repeatable).")
    var texts: [String] = []

    @OptionGroup var report: ReportOptions

    /// The probabilities of every text for every image.
    struct SimilarityReport: Report {
        struct Row: Encodable {
            let image: String
            let probabilities: [Float]
        }

        let texts: [String]
        let logitScale: Float
        /// "softmax" or "sigmoid": how the probabilities were made.
        let scoring: String
        let images: [Row]

        enum CodingKeys: String, CodingKey {
            case texts, images, scoring
            case logitScale = "logit_scale"
        }

        var text: String {
            var lines: [String] = []
            for row in images {
                lines.append(row.image)
                for (text, probability) in zip(texts, row.probabilities) {
                    lines.append(String(format: "  %6.2f%%  ", probability * 100) + text)
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    func validate() throws {
        guard !images.isEmpty, !texts.isEmpty else { throw ValidationError("give at least one --image and one --text") }
    }

    func run() throws {
        let loaded = try model.load()
        let width = loaded.model.configuration.embedDim
        let textFeatures = try loaded.textFeatures(texts, normalize: true)
        let imageFeatures = try loaded.imageFeatures(images, normalize: true)
        let probabilities = withNoGrad {
            let logits = loaded.model.logits(imageFeatures: Tensor(shape: [images.count, width], scalars: imageFeatures.flatMap { $0 }),
                                             textFeatures: Tensor(shape: [texts.count, width], scalars: textFeatures.flatMap { $0 }))
            return loaded.model.configuration.scoring == .sigmoid ? sigmoid(logits).scalars : softmax(logits).scalars
        }
        let rows = images.enumerated().map { index, path in
            SimilarityReport.Row(image: path, probabilities: Array(probabilities[(index * texts.count)..<((index + 1) * texts.count)]))
        }
        try report.emit(SimilarityReport(texts: texts, logitScale: loaded.model.logitScale.item(),
                                         scoring: loaded.model.configuration.scoring.rawValue, images: rows))
    }
}
