import ArgumentParser
import CLIPModel
import CLIPTensor
import Foundation

/// `clip bench`: speed of each tower on random inputs.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Throughput and median latency of the image and text towers on random inputs, and peak memory.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Images per forward pass (0 skips the image tower).")
    var imageBatch = 1

    @Option(help: "Texts per forward pass (0 skips the text tower).")
    var textBatch = 1

    @Option(help: "Tokens per text, start and end tokens included (the rest of the context is padding); default: the model's context length.")
    var textTokens: Int?

    @Option(help: "Timed forward passes per tower, after two warm-up passes.")
    var iterations = 10

    @Flag(help: "Read tasks from standard input, one per line (\"image BATCH\" or \"text BATCH TOKENS\"), and answer each with a JSON line; for side-by-side benchmark drivers.")
    var serve = false

    @OptionGroup var report: ReportOptions

    /// The timing of one tower at one batch size.
    struct Timing: Encodable {
        let batch: Int
        let tokens: Int?
        let latencyMilliseconds: Double
        let itemsPerSecond: Double

        init(_ measured: InferenceThroughput) {
            batch = measured.batch
            tokens = measured.tokens
            latencyMilliseconds = measured.medianSeconds * 1e3
            itemsPerSecond = measured.itemsPerSecond
        }

        enum CodingKeys: String, CodingKey {
            case batch, tokens
            case latencyMilliseconds = "latency_ms_median", itemsPerSecond = "items_per_s"
        }
    }

    /// What `clip bench` reports.
    struct BenchReport: Report {
        let threads: Int
        let iterations: Int
        let image: Timing?
        let textTiming: Timing?
        let peakResidentMiB: Double

        enum CodingKeys: String, CodingKey {
            case threads, iterations, image
            case textTiming = "text", peakResidentMiB = "peak_rss_mib"
        }

        var text: String {
            var lines: [String] = []
            for (tower, timing) in [("image", image), ("text", textTiming)] {
                guard let timing else { continue }
                lines.append(String(format: "%@ batch %d: %.2f ms median, %.2f items/s", tower, timing.batch,
                                    timing.latencyMilliseconds, timing.itemsPerSecond))
            }
            lines.append(String(format: "peak RSS: %.0f MiB, threads: %d", peakResidentMiB, threads))
            return lines.joined(separator: "\n")
        }
    }

    /// One answer of `--serve`: a timing, or why the task was refused.
    struct ServedRecord: Encodable {
        let timing: Timing?
        let error: String?
        let peakResidentMiB: Double

        enum CodingKeys: String, CodingKey {
            case error
            case peakResidentMiB = "peak_rss_mib"
        }

        func encode(to encoder: Encoder) throws {
            try timing?.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(error, forKey: .error)
            try container.encode(peakResidentMiB, forKey: .peakResidentMiB)
        }
    }

    func validate() throws {
        guard imageBatch >= 0, textBatch >= 0, iterations >= 1, (textTokens ?? 2) >= 2 else {
            throw ValidationError("batches must be ≥ 0, iterations ≥ 1 and text tokens ≥ 2")
        }
    }

    func run() throws {
        let loaded = try model.load()
        let context = loaded.model.configuration.text.contextLength
        let textTokens = self.textTokens ?? context
        guard textTokens <= context else {
            throw ValidationError("--text-tokens \(textTokens) exceeds the context length \(context)")
        }
        if serve {
            try answerTasks(loaded.model)
            return
        }
        try report.emit(BenchReport(
            threads: ComputeThreads.count, iterations: iterations,
            image: imageBatch > 0 ? try measureImages(loaded.model, batch: imageBatch) : nil,
            textTiming: textBatch > 0 ? try measureTexts(loaded.model, batch: textBatch, tokens: textTokens) : nil,
            peakResidentMiB: PeakMemory.residentMiB()))
    }

    private func answerTasks(_ model: CLIP) throws {
        let context = model.configuration.text.contextLength
        while let line = readLine() {
            let words = line.split(separator: " ").compactMap { Int($0) }
            var timing: Timing? = nil, error: String? = nil
            if line.hasPrefix("image"), words.count == 1 {
                timing = try measureImages(model, batch: words[0])
            } else if line.hasPrefix("text"), words.count == 2, words[1] >= 2, words[1] <= context {
                timing = try measureTexts(model, batch: words[0], tokens: words[1])
            } else {
                error = "expected \"image BATCH\" or \"text BATCH TOKENS\", got \"\(line)\""
            }
            let record = ServedRecord(timing: timing, error: error, peakResidentMiB: PeakMemory.residentMiB())
            StandardStreams.printResult(String(decoding: try JSONOutput.encode(record, pretty: false), as: UTF8.self))
            fflush(nil)
        }
    }

    private func measureImages(_ model: CLIP, batch: Int) throws -> Timing {
        Timing(try InferenceThroughput.images(model, batch: batch, iterations: iterations))
    }

    private func measureTexts(_ model: CLIP, batch: Int, tokens: Int) throws -> Timing {
        Timing(try InferenceThroughput.texts(model, batch: batch, tokens: tokens, iterations: iterations))
    }
}
