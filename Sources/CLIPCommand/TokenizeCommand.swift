import ArgumentParser
import CLIPTokenizer
import Foundation

/// `clip tokenize`: CLIP token ids for texts, one JSON array per text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the CLIP token ids of each text as a JSON array, one per line.",
        discussion: """
            Texts come from the arguments, from --file (one text per line), or else from standard input \
            (one text per line). Input files must be UTF-8; invalid bytes are reported with their offset.
            """)

    @Option(help: "Ids per text, including the start and end tokens (default: 77, or the vocabulary's configuration).")
    var contextLength: Int?

    @Option(help: "A BPE merges file (.txt or .txt.gz) or a Hugging Face tokenizer directory (default: the bundled vocabulary).")
    var vocab: String?

    @Option(help: "A UTF-8 file with one text per line.")
    var file: String?

    @Argument(help: "Texts to tokenize.")
    var texts: [String] = []

    func validate() throws {
        if let contextLength, contextLength < 2 {
            throw ValidationError("--context-length must be at least 2 (start and end tokens), got \(contextLength)")
        }
        if file != nil && !texts.isEmpty {
            throw ValidationError("give texts as arguments or with --file, not both")
        }
    }

    func run() throws {
        let tokenizer = try CLIPTokenizer(vocabulary: try loadVocabulary(vocab), contextLength: contextLength)
        for text in try inputTexts() {
            print("[" + tokenizer.tokenize(text).map(String.init).joined(separator: ",") + "]")
        }
    }

    private func inputTexts() throws -> [String] {
        if !texts.isEmpty { return texts }
        let source = file ?? "<stdin>"
        let data: Data
        if let file {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read --file \(file)")
            }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        return try TextInput.lines(of: TextInput.decodeUTF8(data, source: source))
    }
}

/// The vocabulary named by a `--vocab` option: a Hugging Face directory or a merges file.
func loadVocabulary(_ path: String?) throws -> BPEVocabulary? {
    guard let path else { return nil }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ValidationError("--vocab \(path) does not exist")
    }
    return isDirectory.boolValue ? try BPEVocabulary.huggingFace(directory: path) : try BPEVocabulary.bpeFile(path: path)
}
