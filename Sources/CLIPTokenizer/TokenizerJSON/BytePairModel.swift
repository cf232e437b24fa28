/// Byte-pair encoding as `tokenizers`' `BPE` model (Gemma, SigLIP 2): a piece starts as one symbol
/// per character (characters outside the vocabulary become `<0xXX>` byte tokens with byte fallback,
/// else the unknown token, consecutive ones fused), then the adjacent pair of lowest merge rank is
/// merged, leftmost first, until no pair has a merge.
struct BytePairModel: SubwordModel {
    let vocabulary: TokenVocabulary
    /// `(left id, right id)` → (rank, merged id).
    private let merges: [PairKey: (rank: Int, id: Int)]
    let unknownToken: String?
    let continuingPrefix: String?
    let endOfWordSuffix: String?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    private let byteTokenIDs: [Int?]

    private struct PairKey: Hashable {
        let left: Int32, right: Int32
    }

    init(_ field: JSONField) throws {
        vocabulary = try SubwordModels.vocabulary(field["vocab"])
        unknownToken = try field["unk_token"].optionalString()
        continuingPrefix = try field["continuing_subword_prefix"].optionalString()
        endOfWordSuffix = try field["end_of_word_suffix"].optionalString()
        fuseUnknown = try field["fuse_unk"].bool(default: false)
        byteFallback = try field["byte_fallback"].bool(default: false)
        ignoreMerges = try field["ignore_merges"].bool(default: false)
        if !field["dropout"].isNull, try field["dropout"].double() != 0 {
            throw field["dropout"].fail("BPE dropout makes tokenization random; only null or 0 is supported")
        }
        let prefixLength = continuingPrefix?.utf8.count ?? 0
        var merges: [PairKey: (rank: Int, id: Int)] = [:]
        let entries = try field["merges"].array()
        merges.reserveCapacity(entries.count)
        for (rank, entry) in entries.enumerated() {
            let left: String, right: String
            if let line = try? entry.string() {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw entry.fail("expected two tokens separated by one space, got \"\(line)\"") }
                (left, right) = (String(parts[0]), String(parts[1]))
            } else {
                let pair = try entry.array()
                guard pair.count == 2 else { throw entry.fail("expected a pair of tokens") }
                (left, right) = (try pair[0].string(), try pair[1].string())
            }
            guard let leftID = vocabulary.id(left) else { throw entry.fail("merge token \"\(left)\" is not in the vocabulary") }
            guard let rightID = vocabulary.id(right) else { throw entry.fail("merge token \"\(right)\" is not in the vocabulary") }
            let rightBytes = Array(right.utf8)
            guard rightBytes.count >= prefixLength else { throw entry.fail("\"\(right)\" is shorter than the continuing subword prefix") }
            let mergedBytes = Array(left.utf8) + rightBytes[prefixLength...]
            guard let mergedID = vocabulary.id(bytes: mergedBytes) else {
                throw entry.fail("the merged token \"\(String(decoding: mergedBytes, as: UTF8.self))\" is not in the vocabulary")
            }
            merges[PairKey(left: Int32(leftID), right: Int32(rightID))] = (rank, mergedID)
        }
        self.merges = merges
        byteTokenIDs = vocabulary.byteTokenIDs()
    }

    func encode(_ piece: String) throws -> [Int] {
        if piece.isEmpty { return [] }
        if ignoreMerges, let id = vocabulary.id(piece) { return [id] }
        var symbols = try initialSymbols(piece)
        mergeAll(&symbols)
        return symbols
    }

    /// One symbol per character, as `merge_word` builds them (including its order of a pending
    /// unknown token after byte-fallback tokens).
    private func initialSymbols(_ piece: String) throws -> [Int] {
        let scalars = Array(piece.unicodeScalars)
        var symbols: [Int] = []
        var pendingUnknown: Int?
        for (index, scalar) in scalars.enumerated() {
            var text = String(scalar)
            if index > 0, let continuingPrefix { text = continuingPrefix + text }
            if index == scalars.count - 1, let endOfWordSuffix { text += endOfWordSuffix }
            if let id = vocabulary.id(text) {
                if let unknown = pendingUnknown { symbols.append(unknown); pendingUnknown = nil }
                symbols.append(id)
                continue
            }
            if byteFallback, let bytes = TokenVocabulary.byteFallback(text.utf8, ids: byteTokenIDs) {
                symbols += bytes
                continue
            }
            guard let unknownToken else { continue }
            guard let unknown = vocabulary.id(unknownToken) else {
                throw TokenizerError.unencodableText(reason: "the unknown token \(unknownToken) is not in the BPE vocabulary")
            }
            if let pending = pendingUnknown, !fuseUnknown { symbols.append(pending) }
            pendingUnknown = unknown
        }
        if let unknown = pendingUnknown { symbols.append(unknown) }
        return symbols
    }

    private func mergeAll(_ symbols: inout [Int]) {
        guard symbols.count > 1 else { return }
        // ranks[i]: the rank of merging symbols i and i + 1, or Int.max.
        var ranks = (0..<(symbols.count - 1)).map { rank(symbols[$0], symbols[$0 + 1]) }
        while true {
            var bestIndex = -1, bestRank = Int.max
            for (index, rank) in ranks.enumerated() where rank < bestRank {
                bestRank = rank
                bestIndex = index
            }
            guard bestIndex >= 0, let merged = merges[PairKey(left: Int32(symbols[bestIndex]), right: Int32(symbols[bestIndex + 1]))] else { return }
            symbols[bestIndex] = merged.id
            symbols.remove(at: bestIndex + 1)
            ranks.remove(at: bestIndex)
            if bestIndex > 0 { ranks[bestIndex - 1] = rank(symbols[bestIndex - 1], symbols[bestIndex]) }
            if bestIndex < ranks.count { ranks[bestIndex] = rank(symbols[bestIndex], symbols[bestIndex + 1]) }
        }
    }

    private func rank(_ left: Int, _ right: Int) -> Int {
        merges[PairKey(left: Int32(truncatingIfNeeded: left), right: Int32(truncatingIfNeeded: right))]?.rank ?? Int.max
    }

    func id(of token: String) -> Int? { vocabulary.id(token) }
    func token(of id: Int) -> String? { vocabulary.tokens[id] }
    var vocabularySize: Int { vocabulary.count }
}
