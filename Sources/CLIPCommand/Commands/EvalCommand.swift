import ArgumentParser
import CLIPEvaluation
import CLIPModel
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

        @OptionGroup var model: ModelOptions
        @OptionGroup var batch: BatchOptions
        @OptionGroup var cache: CacheOptions
        @OptionGroup var classes: ClassOptions
        @OptionGroup var templates: TemplateOptions

        @Option(help: ArgumentHelp("An ImageFolder directory or a TSV/CSV file.", valueName: "path"))
        var dataset: String

        @OptionGroup var report: ReportOptions

        func run() throws {
            let data = try ClassificationDataset.open(dataset, classNames: try classes.names())
            let loaded = try model.load()
            let result = try ZeroShotEvaluation.run(loaded: loaded, modelName: model.model, dataset: data, templates: try templates.load(),
                                                    cacheDirectory: cache.cacheDirectory, batchSize: batch.batchSize,
                                                    progress: ProgressRenderer.shared.report)
            try report.emit(result.report)
        }
    }

    struct Retrieval: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retrieval",
            abstract: "Image→text and text→image recall@1/5/10 on a captioned dataset.",
            discussion: "DATASET is a TSV/CSV with filepath and title columns; several rows per image are grouped by file.")

        @OptionGroup var model: ModelOptions
        @OptionGroup var batch: BatchOptions
        @OptionGroup var cache: CacheOptions

        @Option(help: ArgumentHelp("A TSV/CSV file with filepath and title columns.", valueName: "path"))
        var dataset: String

        @OptionGroup var report: ReportOptions

        func run() throws {
            let data = try RetrievalDataset.table(dataset)
            let loaded = try model.load()
            try report.emit(try RetrievalEvaluation.run(loaded: loaded, modelName: model.model, dataset: data,
                                                        cacheDirectory: cache.cacheDirectory, batchSize: batch.batchSize,
                                                        progress: ProgressRenderer.shared.report))
        }
    }
}

extension ZeroShotEvaluation.Report: Report {
    var text: String {
        EvaluationTable.render([("top-1", metrics["acc1"] ?? 0), ("top-5", metrics["acc5"] ?? 0),
                                ("mean per-class recall", metrics["mean_per_class_recall"] ?? 0)],
                               counts: "\(evaluated) of \(images) images, \(classes) classes, \(templateCount) templates (\(templates)), "
                               + "\(failed) failed, " + String(format: "%.1f s", elapsedSeconds), failures: failures)
    }
}

extension RetrievalEvaluation.Report: Report {
    var text: String {
        var rows: [(String, Double)] = []
        for k in [1, 5, 10] {
            rows.append(("text→image R@\(k)", metrics["image_retrieval_recall@\(k)"] ?? 0))
            rows.append(("image→text R@\(k)", metrics["text_retrieval_recall@\(k)"] ?? 0))
        }
        return EvaluationTable.render(rows, counts: "\(evaluatedImages) of \(images) images, \(evaluatedCaptions) of \(captions) captions, "
                                      + "\(failed) failed, " + String(format: "%.1f s", elapsedSeconds), failures: failures)
    }
}

/// The text form of an evaluation report: metrics as percentages, the counts, the first failures.
enum EvaluationTable {
    static func render(_ rows: [(String, Double)], counts: String, failures: [ImageFailure]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        var lines = rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: "  %6.2f%%", $0.1 * 100) }
        lines.append(counts)
        for failure in failures.prefix(10) { lines.append("  failed: \(failure.path): \(failure.reason)") }
        if failures.count > 10 { lines.append("  … and \(failures.count - 10) more (see the JSON report)") }
        return lines.joined(separator: "\n")
    }
}
