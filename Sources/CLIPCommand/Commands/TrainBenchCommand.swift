import ArgumentParser
import CLIPModel
import CLIPOptim
import CLIPTensor
import CLIPTraining
import Dispatch
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

    @OptionGroup var report: ReportOptions

    /// Step times and memory, under the keys the benchmark driver reads.
    struct TrainBenchReport: Report {
        let implementation = "swift-clip"
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
            case batch, threads
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
        let model = start.loaded.model
        model.prepareForTraining()
        let configuration = model.configuration
        let size = configuration.vision.imageSize, context = configuration.text.contextLength
        let images = Tensor.normal([batchSize, 3, size, size], seed: 1)
        var generator = RandomGenerator(seed: 0)
        let tokens = (0..<batchSize).map { _ -> [Int] in
            let length = 4 + Int(generator.next() % UInt64(max(context - 5, 1)))
            var row = [Int](repeating: 0, count: context)
            row[0] = 49406
            for i in 1...length { row[i] = 1 + Int(generator.next() % 49405) }
            row[length + 1] = 49407
            return row
        }
        let optimizer = AdamW(groups: ParameterGroups.openCLIP(model, weightDecay: 0.2), learningRate: 5e-4)
        var losses: [Float] = []
        func step() throws {
            let image = try model.encodeImage(images, normalize: true)
            let text = try model.encodeText(tokens, normalize: true)
            let loss = ContrastiveLoss.clip(imageFeatures: image, textFeatures: text, scale: exp(model.logitScale))
            loss.backward()
            optimizer.step()
            optimizer.zeroGradients()
            model.clampLogitScale()
            losses.append(loss.item())
        }
        for _ in 0..<warmupSteps { try step() }
        var times: [Double] = []
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            try step()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        try report.emit(TrainBenchReport(
            batch: batchSize, threads: ComputeThreads.count, parametersMillions: Double(model.parameterCount) / 1e6,
            stepMillisecondsMedian: median * 1e3, stepMillisecondsMinimum: (times.min() ?? 0) * 1e3,
            samplesPerSecond: Double(batchSize) / median, firstLoss: losses.first ?? 0, lastLoss: losses.last ?? 0,
            peakResidentMiB: PeakMemory.residentMiB()))
    }
}
