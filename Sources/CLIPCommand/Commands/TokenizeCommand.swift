import ArgumentParser
import CLIPTokenizer
import Foundation

/// `clip tokenize`: CLIP token ids for texts, one JSON array per text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the CLIP token ids of each text as a JSON array, one per line.",
        discussion: """
            Texts come from the arguments, from --texts-file (one text per line), or else from standard input \
            (one text per line). Input must be UTF-8; invalid bytes are reported with their offset.
            """)

    @Option(parsing: .unconditional, help: "Ids per text, including the start and end tokens (default: 77, or the vocabulary's configuration).")
    var contextLength: Int?

    @Option(help: ArgumentHelp("A BPE merges file (.txt or .txt.gz) or a Hugging Face tokenizer directory (default: the bundled vocabulary).", valueName: "path"))
    var vocab: String?

    @Option(help: ArgumentHelp("A UTF-8 file with one text per line.", valueName: "file"))
    var textsFile: String?

    @OptionGroup var output: RecordOutputOptions

    @Argument(help: "Texts to tokenize.")
    var texts: [String] = []

    func validate() throws {
        if let contextLength, !(2...CLIPTokenizer.maximumContextLength).contains(contextLength) {
            throw ValidationError("--context-length must be 2…\(CLIPTokenizer.maximumContextLength) (start and end tokens, and the limit), got \(contextLength)")
        }
        if textsFile != nil && !texts.isEmpty {
            throw ValidationError("give texts as arguments or with --texts-file, not both")
        }
    }

    func run() throws {
        let vocabulary = try vocab.map(BPEVocabulary.load(path:))
        let tokenizer = try CLIPTokenizer(vocabulary: vocabulary, contextLength: contextLength)
        try output.emit(try inputTexts().map { tokenizer.tokenize($0) })
    }

    private func inputTexts() throws -> [String] {
        if !texts.isEmpty { return texts }
        if let textsFile { return TextInput.lines(of: try TextInput.readUTF8File(textsFile)) }
        return TextInput.lines(of: try TextInput.decodeUTF8(FileHandle.standardInput.readDataToEndOfFile(), source: "<stdin>"))
    }
}
