import Foundation

/// A tokenizer read from a SentencePiece `.model` file (SigLIP's `spiece.model`), producing the same
/// ids as the `sentencepiece` library's `encode(text)`.
///
/// Text is normalised as SentencePiece does (the model's compiled rules by longest match, leading,
/// trailing and repeated spaces removed, spaces escaped as `▁`, a `▁` prefixed), then segmented by
/// the Unigram model's Viterbi search in single precision, as the library computes it. Consecutive
/// unknown pieces merge into one unknown id, or become byte pieces with byte fallback.
///
/// ```swift
/// let tokenizer = try SentencePieceTokenizer(contentsOf: "siglip/spiece.model")
/// let ids = try tokenizer.encode("a photo of a cat")
/// ```
public final class SentencePieceTokenizer: Sendable {
    /// Where the model came from (for messages).
    public let source: String
    private let model: SentencePieceModel
    /// NORMAL, USER_DEFINED and UNUSED pieces: what segmentation may produce.
    private let segmentable: TokenVocabulary
    /// UNKNOWN, CONTROL and BYTE pieces.
    private let reserved: TokenVocabulary
    private let userDefined: [[UInt8]]
    /// The unknown piece's id.
    public let unknownID: Int
    private let minimumScore: Float
    private let maximumScore: Float
    private let longestPieceBytes: Int
    private let byteIDs: [Int?]

    /// Files larger than this are refused (published SentencePiece models are a few MB).
    public static let maximumFileSize = 64 << 20

    /// Reads the `.model` file at `path`.
    public convenience init(contentsOf path: String) throws {
        try self.init(data: TextInput.readFile(path, limit: Self.maximumFileSize, describing: "a SentencePiece model"), source: path)
    }

    /// Parses a serialised SentencePiece `ModelProto`; `source` names it in errors.
    public init(data: Data, source: String) throws {
        func fail(_ field: String, _ reason: String) -> TokenizerError {
            .invalidTokenizerFile(path: source, field: field, reason: reason)
        }
        let model = try SentencePieceModel(bytes: [UInt8](data), source: source)
        guard model.modelType == .unigram else {
            throw fail("trainer_spec.model_type", "only Unigram SentencePiece models are read natively; use the model's tokenizer.json")
        }
        var segmentable = TokenVocabulary(), reserved = TokenVocabulary()
        var userDefined: [[UInt8]] = []
        var unknownID: Int?
        var minimumScore = Float.greatestFiniteMagnitude
        // SentencePiece starts its maximum at FLT_MIN (the smallest positive float), not −FLT_MAX;
        // kept, since it sets the score of user-defined pieces.
        var maximumScore = Float.leastNormalMagnitude
        for (id, piece) in model.pieces.enumerated() {
            let isSegmentable = [.normal, .userDefined, .unused].contains(piece.type)
            guard (isSegmentable ? segmentable : reserved).id(piece.text) == nil else {
                throw fail("pieces[\(id)].piece", "\"\(piece.text)\" is already defined")
            }
            if isSegmentable { segmentable.insert(piece.text, id: id) } else { reserved.insert(piece.text, id: id) }
            switch piece.type {
            case .userDefined: userDefined.append(Array(piece.text.utf8))
            case .unknown:
                guard unknownID == nil else { throw fail("pieces[\(id)].type", "a second unknown piece") }
                unknownID = id
            case .normal:
                minimumScore = min(minimumScore, piece.score)
                maximumScore = max(maximumScore, piece.score)
            case .byte:
                guard model.byteFallback else { throw fail("pieces[\(id)].type", "a byte piece although byte_fallback is false") }
            default: break
            }
        }
        guard let unknownID else { throw fail("pieces", "no piece has type UNKNOWN") }
        self.source = source
        self.model = model
        self.segmentable = segmentable
        self.reserved = reserved
        self.userDefined = userDefined.sorted { $0.count > $1.count }
        self.unknownID = unknownID
        self.minimumScore = minimumScore
        self.maximumScore = maximumScore
        longestPieceBytes = model.pieces.map { $0.text.utf8.count }.max() ?? 1
        byteIDs = reserved.byteTokenIDs()
    }

    /// The id of a piece (control pieces such as `</s>` included), if the model has it.
    public func id(of piece: String) -> Int? { segmentable.id(piece) ?? reserved.id(piece) }

    /// The number of pieces.
    public var vocabularySize: Int { model.pieces.count }

    /// The ids of `text`, without control pieces (no BOS or EOS).
    public func encode(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for piece in pieces(text) {
            if piece.id == unknownID && model.byteFallback {
                guard let bytes = TokenVocabulary.byteFallback(piece.bytes, ids: byteIDs) else {
                    throw TokenizerError.unencodableText(reason: "\(source) lacks a byte piece for byte fallback")
                }
                ids += bytes
            } else {
                ids.append(piece.id)
            }
        }
        return ids
    }

    /// The pieces of `text` with their ids, consecutive unknown pieces merged into one (as the
    /// library's `encode(text, out_type=str)` lists them; byte fallback not applied).
    /// `addDummyPrefix` overrides the model's setting (transformers turns it off for SigLIP).
    func pieces(_ text: String, addDummyPrefix: Bool? = nil) -> [(bytes: [UInt8], id: Int)] {
        var result: [(bytes: [UInt8], id: Int)] = []
        for (piece, id) in segment(normalize(text, addDummyPrefix: addDummyPrefix ?? model.addDummyPrefix)) {
            if id == unknownID, !model.byteFallback, let last = result.last, last.id == unknownID {
                result[result.count - 1].bytes += piece
            } else {
                result.append((piece, id))
            }
        }
        return result
    }

    /// The id of a piece given as UTF-8 bytes (`piece_to_id`): the unknown id when absent.
    func id(bytes: [UInt8]) -> Int { segmentable.id(bytes: bytes) ?? reserved.id(bytes: bytes) ?? unknownID }

    /// SentencePiece's `Normalizer::Normalize`, as UTF-8 bytes.
    func normalize(_ text: String, addDummyPrefix: Bool) -> [UInt8] {
        var input = Array(text.utf8)[...]
        let space = model.escapeWhitespaces ? Array("\u{2581}".utf8) : [UInt8(ascii: " ")]
        if model.removeExtraWhitespaces {
            while let (piece, length) = normalizedPrefix(input), piece == [UInt8(ascii: " ")] { input = input.dropFirst(length) }
        }
        guard !input.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3)
        if !model.treatWhitespaceAsSuffix && addDummyPrefix { out += space }
        var previousIsSpace = model.removeExtraWhitespaces
        while let (piece, length) = normalizedPrefix(input) {
            var piece = piece[...]
            while previousIsSpace, piece.first == UInt8(ascii: " ") { piece = piece.dropFirst() }
            if !piece.isEmpty {
                for byte in piece {
                    if model.escapeWhitespaces && byte == UInt8(ascii: " ") { out += space } else { out.append(byte) }
                }
                previousIsSpace = piece.last == UInt8(ascii: " ")
            }
            input = input.dropFirst(length)
            if !model.removeExtraWhitespaces { previousIsSpace = false }
        }
        if model.removeExtraWhitespaces {
            while out.count >= space.count, out.suffix(space.count).elementsEqual(space) { out.removeLast(space.count) }
        }
        if model.treatWhitespaceAsSuffix && addDummyPrefix { out += space }
        return out
    }

    /// `NormalizePrefix`: a user-defined piece as it is, else the longest rule, else one character.
    private func normalizedPrefix(_ input: ArraySlice<UInt8>) -> ([UInt8], Int)? {
        guard !input.isEmpty else { return nil }
        if let symbol = userDefined.first(where: { input.starts(with: $0) }) { return (symbol, symbol.count) }
        if let charsmap = model.charsmap, let (length, replacement) = charsmap.longestPrefixReplacement(input) {
            return (replacement, length)
        }
        let width = min(input.count, UTF8.width(startingWithByte: input.first!))
        return (Array(input.prefix(width)), width)
    }

    /// The Unigram model's `EncodeOptimized`: Viterbi over byte positions with `Float` scores.
    private func segment(_ bytes: [UInt8]) -> [([UInt8], Int)] {
        guard !bytes.isEmpty else { return [] }
        struct Node { var id = -1; var score: Float = 0; var start = -1 }
        var best = [Node](repeating: Node(), count: bytes.count + 1)
        let unknownScore = minimumScore - 10
        var start = 0
        while start < bytes.count {
            let scoreHere = best[start].score
            let characterWidth = min(UTF8.width(startingWithByte: bytes[start]), bytes.count - start)
            var hasSingleCharacter = false
            for end in (start + 1)...min(bytes.count, start + longestPieceBytes) {
                guard let id = segmentable.id(bytes: Array(bytes[start..<end])) else { continue }
                let piece = model.pieces[id]
                if piece.type == .unused { continue }
                let length = Float(end - start)
                let score = piece.type == .userDefined ? length * maximumScore - 0.1 : piece.score
                let candidate = score + scoreHere
                if best[end].start == -1 || candidate > best[end].score {
                    best[end] = Node(id: id, score: candidate, start: start)
                }
                if end - start == characterWidth { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let target = start + characterWidth
                let candidate = unknownScore + scoreHere
                if best[target].start == -1 || candidate > best[target].score {
                    best[target] = Node(id: unknownID, score: candidate, start: start)
                }
            }
            start += characterWidth
        }
        var result: [([UInt8], Int)] = []
        var end = bytes.count
        while end > 0, best[end].start >= 0 {
            result.append((Array(bytes[best[end].start..<end]), best[end].id))
            end = best[end].start
        }
        return result.reversed()
    }
}
