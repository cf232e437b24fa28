import ArgumentParser
import CLIPImage
import Foundation

/// `clip preprocess`: an image as the model sees it, saved as a NumPy array.
struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Decode, resize, crop and normalise an image as CLIP's reference does; write it as .npy.",
        discussion: "Writes float32 [3, N, N] (normalised), or with --raw the uint8 [N, N, 3] pixels before normalisation.")

    @Option(parsing: .unconditional, help: "Output height and width.")
    var size = 224

    @Option(help: "Per-channel mean, three comma-separated numbers (default: OpenAI CLIP's).")
    var mean: String?

    @Option(help: "Per-channel standard deviation, three comma-separated numbers (default: OpenAI CLIP's).")
    var std: String?

    @Flag(help: "Write the uint8 RGB pixels after resize and crop, before normalisation.")
    var raw = false

    @Option(help: "Resampling filter: bicubic (default), bilinear or nearest.")
    var filter: ResampleFilter = .bicubic

    @Option(help: "Refuse images with more pixels than this (read from the header before decoding).")
    var maxPixels = ImageDecoder.defaultMaximumPixels

    @Argument(help: "The image (JPEG, PNG or WebP; the format is read from the bytes).")
    var image: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the .npy file (atomically).", valueName: "file"))
    var output: String

    @Flag(help: "Print what was written as one JSON object instead of text.")
    var json = false

    /// What was written.
    struct PreprocessReport: Report {
        let output: String
        let shape: [Int]
        let dtype: String

        var text: String { "wrote \(output) (\(dtype) [\(shape.map(String.init).joined(separator: ", "))])" }
    }

    func validate() throws {
        do { try preprocessor().validate() } catch { throw ValidationError("\(error)") }   // a usage error: exit 64
        guard output.hasSuffix(".npy") else { throw ValidationError("--output must end in .npy") }
        guard maxPixels > 0 else { throw ValidationError("--max-pixels must be positive") }
    }

    func run() throws {
        let decoded = try ImageDecoder(maximumPixels: maxPixels).decode(contentsOf: image)
        let preprocessor = try preprocessor()
        let rgb = preprocessor.rgb(decoded)
        let report: PreprocessReport
        if raw {
            report = PreprocessReport(output: output, shape: [rgb.height, rgb.width, 3], dtype: "uint8")
            try NumpyFile.write(.uint8(rgb.pixels), shape: report.shape, to: output)
        } else {
            report = PreprocessReport(output: output, shape: [3, rgb.height, rgb.width], dtype: "float32")
            try NumpyFile.write(.float32(preprocessor.normalized(rgb)), shape: report.shape, to: output)
        }
        StandardStreams.printResult(json ? String(decoding: try JSONOutput.encode(report, pretty: false), as: UTF8.self) : report.text)
    }

    private func preprocessor() throws -> ImagePreprocessor {
        ImagePreprocessor(size: size,
                          mean: try mean.map { try Self.triple($0, "--mean") } ?? ImagePreprocessor.openAIMean,
                          standardDeviation: try std.map { try Self.triple($0, "--std") } ?? ImagePreprocessor.openAIStandardDeviation,
                          filter: filter)
    }

    private static func triple(_ text: String, _ name: String) throws -> [Float] {
        let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("\(name) needs three comma-separated numbers, got \"\(text)\"")
        }
        return values.compactMap { $0 }
    }
}

extension ResampleFilter: ExpressibleByArgument {}
