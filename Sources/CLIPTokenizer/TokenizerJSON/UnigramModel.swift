/// The Unigram language model (SentencePiece; XLM-R, SigLIP): each piece is split into the tokens
/// whose scores (log probabilities) sum highest, by Viterbi over UTF-8 byte positions. A character no
/// token starts with costs the lowest score minus 10 as the unknown token; runs of unknowns fuse into
/// one, or, with byte fallback, become `<0xXX>` tokens. Same behaviour as `tokenizers`' `Unigram`
/// (its "optimized" encoder, ties kept by the first path found).
struct UnigramModel: SubwordModel {
    let vocabulary: TokenVocabulary
    let scores: [Double]
    let unknownID: Int?
    let byteFallback: Bool
    private let minimumScore: Double
    private let longestTokenBytes: Int
    private let byteTokenIDs: [Int?]

    /// SentencePiece's penalty of an unknown character below the lowest score.
    static let unknownPenalty = 10.0

    init(_ field: JSONField) throws {
        let entries = try field["vocab"].array()
        guard !entries.isEmpty else { throw field["vocab"].fail("the vocabulary is empty") }
        var pieces: [(String, Double)] = []
        pieces.reserveCapacity(entries.count)
        for entry in entries {
            let pair = try entry.array()
            guard pair.count == 2 else { throw entry.fail("expected [token, score]") }
            pieces.append((try pair[0].string(), try pair[1].double()))
        }
        let unknownID = try field["unk_id"].optionalInt()
        if let unknownID, unknownID >= pieces.count {
            throw field["unk_id"].fail("\(unknownID) is outside the vocabulary of \(pieces.count)")
        }
        self.init(pieces: pieces, unknownID: unknownID, byteFallback: try field["byte_fallback"].bool(default: false))
    }

    /// A model over `pieces` (token, score), id = position.
    init(pieces: [(String, Double)], unknownID: Int?, byteFallback: Bool) {
        var vocabulary = TokenVocabulary()
        vocabulary.ids.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() { vocabulary.insert(piece.0, id: id) }
        self.vocabulary = vocabulary
        scores = pieces.map(\.1)
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        minimumScore = scores.min() ?? 0
        longestTokenBytes = pieces.map { $0.0.utf8.count }.max() ?? 0
        byteTokenIDs = vocabulary.byteTokenIDs()
    }

    func encode(_ piece: String) throws -> [Int] {
        var ids: [Int] = []
        for token in try segment(piece) {
            if let id = vocabulary.id(bytes: token) {
                ids.append(id)
                continue
            }
            if byteFallback, let bytes = TokenVocabulary.byteFallback(token, ids: byteTokenIDs) {
                ids += bytes
                continue
            }
            guard let unknownID else { throw TokenizerError.unencodableText(reason: "an unknown piece and no unk_id") }
            ids.append(unknownID)
        }
        return ids
    }

    /// The best segmentation of `piece`, as UTF-8 byte strings (fused unknowns as one string).
    func segment(_ piece: String) throws -> [[UInt8]] {
        let bytes = Array(piece.utf8)
        guard !bytes.isEmpty else { return [] }
        struct Node { var id = -1; var score = 0.0; var start: Int? }
        var best = [Node](repeating: Node(), count: bytes.count + 1)
        let unknownScore = minimumScore - Self.unknownPenalty
        var start = 0
        while start < bytes.count {
            let scoreHere = best[start].score
            let characterWidth = UTF8.width(startingWithByte: bytes[start])
            var hasSingleCharacter = false
            var end = start + 1
            let limit = min(bytes.count, start + longestTokenBytes)
            while end <= limit {
                if let id = vocabulary.id(bytes: Array(bytes[start..<end])) {
                    let candidate = scores[id] + scoreHere
                    if best[end].start == nil || candidate > best[end].score {
                        best[end] = Node(id: id, score: candidate, start: start)
                    }
                    if end - start == characterWidth { hasSingleCharacter = true }
                }
                end += 1
            }
            if !hasSingleCharacter {
                guard let unknownID else { throw TokenizerError.unencodableText(reason: "a character outside the vocabulary and no unk_id") }
                let target = min(bytes.count, start + characterWidth)
                let candidate = unknownScore + scoreHere
                if best[target].start == nil || candidate > best[target].score {
                    best[target] = Node(id: unknownID, score: candidate, start: start)
                }
            }
            start += characterWidth
        }
        var tokens: [[UInt8]] = []
        var pendingUnknown: [UInt8] = []
        var end = bytes.count
        while end > 0 {
            guard let nodeStart = best[end].start else { break }
            let token = Array(bytes[nodeStart..<end])
            if best[end].id == unknownID {
                pendingUnknown = token + pendingUnknown
            } else {
                if !pendingUnknown.isEmpty { tokens.append(pendingUnknown); pendingUnknown = [] }
                tokens.append(token)
            }
            end = nodeStart
        }
        if !pendingUnknown.isEmpty { tokens.append(pendingUnknown) }
        return tokens.reversed()
    }

    func id(of token: String) -> Int? { vocabulary.id(token) }
    func token(of id: Int) -> String? { vocabulary.tokens[id] }
    var vocabularySize: Int { scores.count }
}

extension UTF8 {
    /// The length of the UTF-8 sequence that `lead` starts (1 for a stray continuation byte).
    static func width(startingWithByte lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
