import ArgumentParser
import CLIPModel
import CLIPTensor
import Dispatch
import Foundation

/// `clip bench`: speed of each tower on random inputs.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Throughput and median latency of the image and text towers on random inputs, and peak memory.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Images per forward pass (0 skips the image tower).")
    var imageBatch = 1

    @Option(help: "Texts per forward pass (0 skips the text tower).")
    var textBatch = 1

    @Option(help: "Tokens per text, start and end tokens included (the rest of the context is padding).")
    var textTokens = 77

    @Option(help: "Timed forward passes per tower, after two warm-up passes.")
    var iterations = 10

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Read tasks from standard input, one per line (\"image BATCH\" or \"text BATCH TOKENS\"), and answer each with a JSON line; for side-by-side benchmark drivers.")
    var serve = false

    func validate() throws {
        guard imageBatch >= 0, textBatch >= 0, iterations >= 1, textTokens >= 2 else {
            throw ValidationError("batches must be ≥ 0, iterations ≥ 1 and text tokens ≥ 2")
        }
    }

    func run() throws {
        let loaded = try options.load()
        let configuration = loaded.model.configuration
        guard textTokens <= configuration.text.contextLength else {
            throw ValidationError("--text-tokens \(textTokens) exceeds the context length \(configuration.text.contextLength)")
        }
        if serve {
            while let line = readLine() {
                let words = line.split(separator: " ").compactMap { Int($0) }
                let record: [String: Any]
                if line.hasPrefix("image"), words.count == 1 {
                    record = try measureImages(loaded.model, batch: words[0])
                } else if line.hasPrefix("text"), words.count == 2, words[1] >= 2, words[1] <= configuration.text.contextLength {
                    record = try measureTexts(loaded.model, batch: words[0], tokens: words[1])
                } else {
                    record = ["error": "expected \"image BATCH\" or \"text BATCH TOKENS\", got \"\(line)\""]
                }
                print(try jsonLine(record.merging(["peak_rss_mib": Double(peakResidentBytes()) / 1_048_576]) { $1 }))
                fflush(nil)
            }
            return
        }
        var results: [String: Any] = ["threads": ComputeThreads.count, "iterations": iterations]
        if imageBatch > 0 { results["image"] = try measureImages(loaded.model, batch: imageBatch) }
        if textBatch > 0 { results["text"] = try measureTexts(loaded.model, batch: textBatch, tokens: textTokens) }
        results["peak_rss_mib"] = Double(peakResidentBytes()) / 1_048_576
        if json {
            print(try jsonLine(results))
        } else {
            for tower in ["image", "text"] {
                guard let r = results[tower] as? [String: Any] else { continue }
                print(String(format: "%@ batch %d: %.2f ms median, %.2f items/s", tower, r["batch"] as! Int,
                             r["latency_ms_median"] as! Double, r["items_per_s"] as! Double))
            }
            print(String(format: "peak RSS: %.0f MiB, threads: %d", results["peak_rss_mib"] as! Double, ComputeThreads.count))
        }
    }

    private func measureImages(_ model: CLIP, batch: Int) throws -> [String: Any] {
        let size = model.configuration.vision.imageSize
        let images = Tensor.normal([batch, 3, size, size], seed: 1)
        let seconds = try Self.median(iterations) { _ = try withNoGrad { try model.encodeImage(images) } }
        return ["batch": batch, "latency_ms_median": seconds * 1e3, "items_per_s": Double(batch) / seconds]
    }

    /// Texts of `tokens` ids each (start and end included), padded to the context.
    private func measureTexts(_ model: CLIP, batch: Int, tokens count: Int) throws -> [String: Any] {
        var generator = RandomGenerator(seed: 2)
        let context = model.configuration.text.contextLength
        let vocabulary = model.configuration.text.vocabSize
        let tokens = (0..<batch).map { _ -> [Int] in
            var row = [Int](repeating: 0, count: context)
            row[0] = vocabulary - 2
            for i in 1..<(count - 1) { row[i] = 1 + Int(generator.next() % UInt64(max(vocabulary - 3, 1))) }
            row[count - 1] = vocabulary - 1
            return row
        }
        let seconds = try Self.median(iterations) { _ = try withNoGrad { try model.encodeText(tokens) } }
        return ["batch": batch, "tokens": count, "latency_ms_median": seconds * 1e3, "items_per_s": Double(batch) / seconds]
    }

    /// Median seconds of `count` runs after two warm-up runs.
    static func median(_ count: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        try body()
        var times: [Double] = []
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
