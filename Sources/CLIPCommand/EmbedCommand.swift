import ArgumentParser
import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTokenizer
import Foundation

/// `clip embed`: embeddings of texts and images, as JSON Lines or a `.npy` matrix.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts and images. Output: JSON Lines in input order (texts first), or a float32 [N, D] .npy.")

    @OptionGroup var options: ModelOptions

    @Option(name: .customLong("text"), help: "A text to embed (repeatable).")
    var texts: [String] = []

    @Option(help: "A UTF-8 file with one text per line.")
    var textsFile: String?

    @Option(name: .customLong("image"), help: "An image to embed (repeatable).")
    var images: [String] = []

    @Option(help: "A file with one image path per line (relative paths resolve against its folder).")
    var imagesFile: String?

    @Flag(help: "Output raw features instead of L2-normalised ones.")
    var noNormalize = false

    @Option(help: "Inputs per forward pass.")
    var batchSize = 32

    @Option(help: "Write here instead of standard output; a name ending in .npy writes a float32 [N, D] matrix.")
    var output: String?

    func validate() throws {
        guard batchSize >= 1 && batchSize <= 4096 else { throw ValidationError("--batch-size must be 1…4096") }
    }

    func run() throws {
        let loaded = try options.load()
        let allTexts = try texts + (textsFile.map { try TextInput.lines(of: readText($0)) } ?? [])
        let allImages = try images + (imagesFile.map { try imagePaths(listedIn: $0) } ?? [])
        guard !allTexts.isEmpty || !allImages.isEmpty else {
            throw ValidationError("nothing to embed: give --text, --texts-file, --image or --images-file")
        }
        let embedder = Embedder(loaded: loaded, normalize: !noNormalize, batchSize: batchSize)
        let textRows = try embedder.embed(texts: allTexts)
        let imageRows = try embedder.embed(imagePaths: allImages)
        let width = loaded.model.configuration.embedDim
        if let output, output.hasSuffix(".npy") {
            let rows = textRows + imageRows
            try NumpyFile.write(.float32(rows.flatMap { $0 }), shape: [rows.count, width], to: output)
            return
        }
        var lines: [String] = []
        for (text, row) in zip(allTexts, textRows) { lines.append(try jsonLine(["type": "text", "input": text, "embedding": row.map(shortest)])) }
        for (path, row) in zip(allImages, imageRows) { lines.append(try jsonLine(["type": "image", "input": path, "embedding": row.map(shortest)])) }
        let text = lines.joined(separator: "\n") + "\n"
        if let output {
            try AtomicFile.write(to: output) { try $0.write(contentsOf: Data(text.utf8)) }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    private func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        return try TextInput.decodeUTF8(data, source: path)
    }

    private func imagePaths(listedIn path: String) throws -> [String] {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try TextInput.lines(of: readText(path)).filter { !$0.isEmpty }.map {
            $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).path
        }
    }
}

/// Runs a loaded model over texts and image files in batches.
struct Embedder {
    let loaded: LoadedModel
    let normalize: Bool
    let batchSize: Int

    func embed(texts: [String]) throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let tokenizer = try loaded.makeTokenizer()
        var rows: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: batchSize) {
            let batch = Array(texts[start..<min(start + batchSize, texts.count)])
            let features = try withNoGrad { try loaded.model.encodeText(tokenizer.tokenize(batch), normalize: normalize) }
            rows += split(features)
        }
        return rows
    }

    func embed(imagePaths: [String]) throws -> [[Float]] {
        guard !imagePaths.isEmpty else { return [] }
        let decoder = ImageDecoder()
        let preprocessor = loaded.preprocessor
        let size = preprocessor.size
        var rows: [[Float]] = []
        for start in stride(from: 0, to: imagePaths.count, by: batchSize) {
            let batch = Array(imagePaths[start..<min(start + batchSize, imagePaths.count)])
            let pixels = try ImageBatch.preprocess(batch, decoder: decoder, preprocessor: preprocessor)
            let tensor = Tensor(shape: [batch.count, 3, size, size], scalars: pixels)
            rows += split(try withNoGrad { try loaded.model.encodeImage(tensor, normalize: normalize) })
        }
        return rows
    }

    private func split(_ features: Tensor) -> [[Float]] {
        let width = features.shape[1]
        let values = features.scalars
        return (0..<features.shape[0]).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }
}
