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

    @Option(help: "A preset name or an open_clip model config JSON.")
    var modelConfig: String

    @Option(help: "Samples per step.")
    var batchSize = 128

    @Option(help: "Timed steps, after warm-up steps.")
    var steps = 10

    @Option(help: "Untimed steps first.")
    var warmupSteps = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let loaded = try TrainCommand.fresh(modelConfig, seed: 0)
        let model = loaded.model
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
        let record: [String: Any] = [
            "impl": "swift-clip", "batch": batchSize, "threads": ComputeThreads.count, "params_M": Double(model.parameterCount) / 1e6,
            "step_ms_median": median * 1e3, "step_ms_min": (times.min() ?? 0) * 1e3, "samples_per_s": Double(batchSize) / median,
            "loss_first": losses.first ?? 0, "loss_last": losses.last ?? 0, "peak_rss_MiB": Double(peakResidentBytes()) / 1_048_576,
        ]
        if json {
            print(try jsonLine(record))
        } else {
            print(String(format: "batch %d: %.1f ms/step median, %.1f samples/s, peak RSS %.0f MiB, loss %.4f → %.4f", batchSize,
                         median * 1e3, Double(batchSize) / median, Double(peakResidentBytes()) / 1_048_576,
                         losses.first ?? 0, losses.last ?? 0))
        }
    }
}
