import Foundation

/// The parts of a SentencePiece `.model` file (a serialised `ModelProto`) that encoding needs:
/// the pieces with scores and types, the trainer's model type and special ids, and the normaliser.
struct SentencePieceModel {
    enum PieceType: Int64 {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    struct Piece {
        let text: String
        let score: Float
        let type: PieceType
    }

    enum ModelType: Int64 { case unigram = 1, bpe = 2, word = 3, character = 4 }

    var pieces: [Piece] = []
    var modelType = ModelType.unigram
    var byteFallback = false
    var treatWhitespaceAsSuffix = false
    var charsmap: PrecompiledCharsmap?
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true

    /// Parses `bytes`; errors name the field (`pieces[3].type`, `normalizer_spec.precompiled_charsmap`).
    init(bytes: [UInt8], source: String) throws {
        func fail(_ field: String, _ reason: String) -> TokenizerError {
            .invalidTokenizerFile(path: source, field: field, reason: reason)
        }
        do {
            var reader = ProtobufReader(bytes[...])
            while let (field, value) = try reader.next() {
                switch field {
                case 1:
                    guard let data = value.data else { throw fail("pieces[\(pieces.count)]", "expected a message") }
                    pieces.append(try Self.piece(data, field: "pieces[\(pieces.count)]", fail: fail))
                case 2:
                    guard let data = value.data else { throw fail("trainer_spec", "expected a message") }
                    try readTrainerSpec(data, fail: fail)
                case 3:
                    guard let data = value.data else { throw fail("normalizer_spec", "expected a message") }
                    try readNormalizerSpec(data, fail: fail)
                default: continue
                }
            }
        } catch let error as ProtobufReader.FormatError {
            throw fail("byte \(error.offset)", "not a SentencePiece model: \(error.reason)")
        }
        guard !pieces.isEmpty else { throw fail("pieces", "the model has no pieces") }
    }

    private static func piece(_ data: ArraySlice<UInt8>, field: String,
                              fail: (String, String) -> TokenizerError) throws -> Piece {
        var reader = ProtobufReader(data)
        var text: String?, score: Float = 0, type = PieceType.normal
        while let (number, value) = try reader.next() {
            switch number {
            case 1:
                guard let bytes = value.data, let string = String(validating: bytes, as: UTF8.self) else {
                    throw fail("\(field).piece", "not valid UTF-8")
                }
                text = string
            case 2:
                guard let float = value.float, float.isFinite else { throw fail("\(field).score", "expected a finite float") }
                score = float
            case 3:
                guard let raw = value.integer, let parsed = PieceType(rawValue: raw) else { throw fail("\(field).type", "unknown piece type") }
                type = parsed
            default: continue
            }
        }
        guard let text, !text.isEmpty else { throw fail("\(field).piece", "missing or empty") }
        return Piece(text: text, score: score, type: type)
    }

    private mutating func readTrainerSpec(_ data: ArraySlice<UInt8>, fail: (String, String) -> TokenizerError) throws {
        var reader = ProtobufReader(data)
        while let (number, value) = try reader.next() {
            switch number {
            case 3:
                guard let raw = value.integer, let type = ModelType(rawValue: raw) else { throw fail("trainer_spec.model_type", "unknown model type") }
                modelType = type
            case 24: treatWhitespaceAsSuffix = (value.integer ?? 0) != 0
            case 35: byteFallback = (value.integer ?? 0) != 0
            default: continue
            }
        }
    }

    private mutating func readNormalizerSpec(_ data: ArraySlice<UInt8>, fail: (String, String) -> TokenizerError) throws {
        var reader = ProtobufReader(data)
        while let (number, value) = try reader.next() {
            switch number {
            case 2:
                guard let bytes = value.data else { throw fail("normalizer_spec.precompiled_charsmap", "expected bytes") }
                if bytes.isEmpty { continue }
                do {
                    charsmap = try PrecompiledCharsmap(Data(bytes))
                } catch let error as PrecompiledCharsmap.FormatError {
                    throw fail("normalizer_spec.precompiled_charsmap", error.reason)
                }
            case 3: addDummyPrefix = (value.integer ?? 1) != 0
            case 4: removeExtraWhitespaces = (value.integer ?? 1) != 0
            case 5: escapeWhitespaces = (value.integer ?? 1) != 0
            default: continue
            }
        }
    }
}
