import ArgumentParser
import CLIPEvaluation
import CLIPModel
import CLIPTensor
import Foundation

/// `clip eval`: benchmark a model as CLIP_benchmark does.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model: zero-shot classification or image-text retrieval.",
        subcommands: [ZeroShot.self, Retrieval.self])

    struct ZeroShot: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "zeroshot",
            abstract: "Zero-shot top-1, top-5 and mean per-class recall on a labelled dataset.",
            discussion: """
            DATASET is an ImageFolder tree (one sub-folder per class) or a TSV/CSV with filepath and label columns \
            (paths relative to the file). Unreadable images are reported and counted, never fatal.
            """)

        @OptionGroup var options: ModelOptions
        @OptionGroup var evaluation: EvaluationOptions

        @Option(help: "An ImageFolder directory or a TSV/CSV file.")
        var dataset: String

        @Option(help: "Class names, one per line (labels may then be names or indices); default: the label column's values.")
        var classes: String?

        @Option(help: "default, simple, or a file of templates (JSON list, {\"templates\": […]}, or one per line).")
        var templates = "default"

        @Option(help: "Write the JSON report here (atomically); otherwise it goes to standard output.")
        var output: String?

        func run() throws {
            let data = try ClassificationDataset.open(dataset, classesFile: classes)
            let loaded = try options.load()
            let templates = try PromptTemplates.named(self.templates)
            let progress = ProgressLine()
            let result = try ZeroShotEvaluation.run(loaded: loaded, modelName: options.model, dataset: data, templates: templates,
                                                    cacheDirectory: evaluation.cacheDirectory, batchSize: evaluation.batchSize,
                                                    progress: progress.update)
            progress.finish()
            let report = result.report
            let rows = [("top-1", report.metrics["acc1"]!), ("top-5", report.metrics["acc5"]!),
                        ("mean per-class recall", report.metrics["mean_per_class_recall"]!)]
            try emit(report, table: rows, counts: "\(report.evaluated) of \(report.images) images, \(report.classes) classes, "
                     + "\(report.templateCount) templates (\(report.templates)), \(report.failed) failed, "
                     + String(format: "%.1f s", report.elapsedSeconds), failures: report.failures, output: output)
        }
    }

    struct Retrieval: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retrieval",
            abstract: "Image→text and text→image recall@1/5/10 on a captioned dataset.",
            discussion: "DATASET is a TSV/CSV with filepath and title columns; several rows per image are grouped by file.")

        @OptionGroup var options: ModelOptions
        @OptionGroup var evaluation: EvaluationOptions

        @Option(help: "A TSV/CSV file with filepath and title columns.")
        var dataset: String

        @Option(help: "Write the JSON report here (atomically); otherwise it goes to standard output.")
        var output: String?

        func run() throws {
            let data = try RetrievalDataset.table(dataset)
            let loaded = try options.load()
            let progress = ProgressLine()
            let report = try RetrievalEvaluation.run(loaded: loaded, modelName: options.model, dataset: data,
                                                     cacheDirectory: evaluation.cacheDirectory, batchSize: evaluation.batchSize,
                                                     progress: progress.update)
            progress.finish()
            var rows: [(String, Double)] = []
            for k in [1, 5, 10] {
                rows.append(("text→image R@\(k)", report.metrics["image_retrieval_recall@\(k)"] ?? 0))
                rows.append(("image→text R@\(k)", report.metrics["text_retrieval_recall@\(k)"] ?? 0))
            }
            try emit(report, table: rows, counts: "\(report.evaluatedImages) of \(report.images) images, \(report.evaluatedCaptions) of "
                     + "\(report.captions) captions, \(report.failed) failed, " + String(format: "%.1f s", report.elapsedSeconds),
                     failures: report.failures, output: output)
        }
    }
}

/// Writes the JSON report (to `output` atomically, or standard output) and the table (to standard
/// output when the report went to a file, else to standard error).
private func emit<Report: Encodable>(_ report: Report, table: [(String, Double)], counts: String, failures: [ImageFailure],
                                     output: String?) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json = try encoder.encode(report) + Data("\n".utf8)
    var text = ""
    let width = table.map(\.0.count).max() ?? 0
    for (name, value) in table { text += name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %6.2f%%\n", value * 100) }
    text += counts + "\n"
    for failure in failures.prefix(10) { text += "  failed: \(failure.path): \(failure.reason)\n" }
    if failures.count > 10 { text += "  … and \(failures.count - 10) more (see the report)\n" }
    if let output {
        try AtomicFile.write(to: output) { try $0.write(contentsOf: json) }
        FileHandle.standardOutput.write(Data(text.utf8))
    } else {
        FileHandle.standardOutput.write(json)
        FileHandle.standardError.write(Data(text.utf8))
    }
}
