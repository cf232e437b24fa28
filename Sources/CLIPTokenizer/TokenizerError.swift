/// Errors from loading vocabularies or reading text. Each names the file or input at fault.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A gzip stream is corrupt or truncated.
    case invalidGzip(path: String, reason: String)
    /// A file is not valid UTF-8; `offset` is the first bad byte.
    case invalidUTF8(path: String, offset: Int)
    /// A vocabulary file does not have the expected form.
    case invalidVocabulary(path: String, reason: String)
    /// A bundled resource is missing from the build.
    case missingResource(name: String)
    /// A context length that cannot hold the start and end tokens, or above `CLIPTokenizer.maximumContextLength`.
    case invalidContextLength(Int)
    /// An id outside the vocabulary was given to `decode`.
    case unknownTokenID(Int)
    /// A `tokenizer.json` (or SentencePiece model) that cannot be used: `field` is the JSON path of the
    /// part at fault (`model.merges[12]`, `normalizer.normalizers[0].type`).
    case invalidTokenizerFile(path: String, field: String, reason: String)
    /// Text that the tokenizer's model cannot encode (an unknown piece and no unknown token).
    case unencodableText(reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): return "\(path): cannot read: \(reason)"
        case let .invalidGzip(path, reason): return "\(path): invalid gzip data: \(reason)"
        case let .invalidUTF8(path, offset): return "\(path): invalid UTF-8 at byte \(offset)"
        case let .invalidVocabulary(path, reason): return "\(path): invalid vocabulary: \(reason)"
        case let .missingResource(name): return "bundled resource \(name) is missing from this build"
        case let .invalidContextLength(length):
            return "context length \(length) is outside 2…\(CLIPTokenizer.maximumContextLength) (start and end tokens, and the limit)"
        case let .unknownTokenID(id): return "token id \(id) is not in the vocabulary"
        case let .invalidTokenizerFile(path, field, reason): return "\(path): \(field): \(reason)"
        case let .unencodableText(reason): return "cannot tokenize the text: \(reason)"
        }
    }
}
