import ArgumentParser
import CLIPModel
import CLIPTokenizer
import Foundation

/// `clip embed`: embeddings of texts and images, as JSON Lines or a `.npy` matrix.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts and images. Output: JSON Lines in input order (texts first), or a float32 [N, D] .npy.",
        discussion: """
        Each line is {"embedding": […], "input": TEXT-OR-PATH, "type": "text"|"image"}. An image that cannot be \
        read ends the command with its path and the reason, and nothing is written.
        """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var batch: BatchOptions

    @Option(name: .customLong("text"), help: "A text to embed (repeatable).")
    var texts: [String] = []

    @Option(help: ArgumentHelp("A UTF-8 file with one text per line.", valueName: "file"))
    var textsFile: String?

    @Option(name: .customLong("image"), help: "An image to embed (repeatable).")
    var images: [String] = []

    @Option(help: ArgumentHelp("A file with one image path per line (relative paths resolve against its folder).", valueName: "file"))
    var imagesFile: String?

    @Flag(help: "Output raw features instead of L2-normalised ones.")
    var noNormalize = false

    @OptionGroup var output: RecordOutputOptions

    /// One line of the output.
    struct Record: Encodable {
        let type: String
        let input: String
        let embedding: [Float]
    }

    func run() throws {
        let allTexts = try texts + (textsFile.map { try TextInput.lines(of: TextInput.readUTF8File($0)) } ?? [])
        let allImages = try images + (imagesFile.map { try TextInput.paths(listedIn: $0) } ?? [])
        guard !allTexts.isEmpty || !allImages.isEmpty else {
            throw ValidationError("nothing to embed: give --text, --texts-file, --image or --images-file")
        }
        let loaded = try model.load()
        let textRows = try loaded.textFeatures(allTexts, batchSize: batch.batchSize, normalize: !noNormalize)
        let imageRows = try loaded.imageFeatures(allImages, batchSize: batch.batchSize, normalize: !noNormalize)
        if let path = output.output, path.hasSuffix(".npy") {
            let rows = textRows + imageRows
            try NumpyFile.write(.float32(rows.flatMap { $0 }), shape: [rows.count, loaded.model.configuration.embedDim], to: path)
            return
        }
        try output.emit(zip(allTexts, textRows).map { Record(type: "text", input: $0, embedding: $1) }
                        + zip(allImages, imageRows).map { Record(type: "image", input: $0, embedding: $1) })
    }
}
