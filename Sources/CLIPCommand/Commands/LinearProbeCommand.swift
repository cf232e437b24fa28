import ArgumentParser
import CLIPEvaluation
import Foundation

/// `clip linear-probe`: logistic regression on frozen image features.
struct LinearProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-probe",
        abstract: "Fit a linear classifier (L2 logistic regression, strength chosen on a validation split) on frozen image features.",
        discussion: "Datasets are ImageFolder trees or TSV/CSV files with filepath and label columns; both must use the same class names.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var batch: BatchOptions
    @OptionGroup var cache: CacheOptions
    @OptionGroup var classes: ClassOptions

    @Option(help: ArgumentHelp("Labelled training images.", valueName: "path")) var trainData: String
    @Option(help: ArgumentHelp("Labelled images to report accuracy on.", valueName: "path")) var valData: String
    @Option(help: ArgumentHelp("Save the probe's weights here (.safetensors, atomically).", valueName: "file")) var saveProbe: String?

    @OptionGroup var report: ReportOptions

    func run() throws {
        let classNames = try classes.names()
        let train = try ClassificationDataset.open(trainData, classNames: classNames)
        let validation = try ClassificationDataset.open(valData, classNames: classNames)
        let loaded = try model.load()
        let evaluation = try LinearProbeEvaluation.run(loaded: loaded, modelName: model.model, train: train, validation: validation,
                                                       cacheDirectory: cache.cacheDirectory, batchSize: batch.batchSize,
                                                       progress: ProgressRenderer.shared.report)
        try saveProbe.map(evaluation.saveProbe)
        try report.emit(evaluation.report)
    }
}

extension LinearProbeEvaluation.Report: Report {
    var text: String {
        EvaluationTable.render([("top-1", acc1)], counts: "\(validationImages) validation images, \(trainImages) training images, "
                               + "\(classes) classes, \(failed) failed, λ = \(l2), " + String(format: "%.1f s", elapsedSeconds),
                               failures: failures)
    }
}
