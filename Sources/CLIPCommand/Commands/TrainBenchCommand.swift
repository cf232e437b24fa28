import ArgumentParser
import CLIPTensor
import CLIPTraining
import Foundation

/// `clip bench-train`: training steps per second on a fixed random batch, as the PyTorch peer
/// (../shared/bench/peers/train_tiny.py) measures open_clip.
struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Training throughput (CLIP loss, AdamW) on a fixed random batch, and peak memory.")

    @OptionGroup(title: "Model") var source: ModelSourceOptions

    @Option(help: "Samples per step.")
    var batchSize = 128

    @Option(help: "Timed steps, after warm-up steps.")
    var steps = 10

    @Option(help: "Untimed steps first.")
    var warmupSteps = 3

    @OptionGroup var precision: TrainingPrecisionOptions

    @OptionGroup var report: ReportOptions

    /// Step times and memory, under the keys the benchmark driver reads.
    struct TrainBenchReport: Report {
        let implementation = "swift-clip"
        let precision: String
        let batch: Int
        let threads: Int
        let parametersMillions: Double
        let stepMillisecondsMedian: Double
        let stepMillisecondsMinimum: Double
        let samplesPerSecond: Double
        let firstLoss: Float
        let lastLoss: Float
        let peakResidentMiB: Double

        enum CodingKeys: String, CodingKey {
            case batch, threads, precision
            case implementation = "impl", parametersMillions = "params_M", stepMillisecondsMedian = "step_ms_median"
            case stepMillisecondsMinimum = "step_ms_min", samplesPerSecond = "samples_per_s", firstLoss = "loss_first"
            case lastLoss = "loss_last", peakResidentMiB = "peak_rss_MiB"
        }

        var text: String {
            String(format: "batch %d: %.1f ms/step median, %.1f samples/s, peak RSS %.0f MiB, loss %.4f → %.4f", batch,
                   stepMillisecondsMedian, samplesPerSecond, peakResidentMiB, firstLoss, lastLoss)
        }
    }

    func validate() throws {
        guard source.source != nil else { throw ValidationError("give --model-config or --model") }
        guard batchSize >= 2, steps >= 1, warmupSteps >= 0 else { throw ValidationError("--batch-size must be ≥ 2, --steps ≥ 1, --warmup-steps ≥ 0") }
    }

    func run() throws {
        let start = try TrainingStart.prepare(source: source.source, resume: nil, seed: 0) { try loadModel($0) }
        let measured = try TrainingThroughput.measure(start.loaded.model, batchSize: batchSize, steps: steps, warmupSteps: warmupSteps,
                                                  mixedPrecision: precision.mixedPrecision)
        try report.emit(TrainBenchReport(
            precision: precision.precision.rawValue, batch: batchSize, threads: ComputeThreads.count, parametersMillions: Double(start.loaded.model.parameterCount) / 1e6,
            stepMillisecondsMedian: measured.medianSeconds * 1e3, stepMillisecondsMinimum: measured.fastestSeconds * 1e3,
            samplesPerSecond: measured.samplesPerSecond, firstLoss: measured.firstLoss, lastLoss: measured.lastLoss,
            peakResidentMiB: PeakMemory.residentMiB()))
    }
}
