import CLIPFileSystem
import Foundation

/// A byte-level BPE vocabulary: token strings with their ids, the ranked merges, and the special
/// tokens of its layout.
///
/// ```swift
/// let vocabulary = try BPEVocabulary.bundled()                       // OpenAI/open_clip vocabulary
/// let hf = try BPEVocabulary.huggingFace(directory: "clip-vit-base-patch32")
/// ```
public struct BPEVocabulary: Sendable {
    /// Where the vocabulary came from; decides special-token names and padding.
    public enum Layout: String, Sendable {
        /// OpenAI CLIP / open_clip: `<start_of_text>`, `<end_of_text>`, padding with id 0.
        case openCLIP
        /// Hugging Face `CLIPTokenizer`: `<|startoftext|>`, `<|endoftext|>`, the configured pad id.
        case huggingFace
    }

    /// The number of merges the reference reads from `bpe_simple_vocab_16e6.txt` (49152 − 256 − 2).
    public static let referenceMergeCount = 48_894

    /// Where the vocabulary came from, which decides padding.
    public let layout: Layout
    /// Token string of each id.
    public let tokens: [String]
    /// The start-of-text token (`<|startoftext|>`).
    public let startToken: String
    /// The end-of-text token (`<|endoftext|>`).
    public let endToken: String
    /// The start token's id.
    public let startID: Int
    /// The end token's id.
    public let endID: Int
    /// The id that fills a sequence after its end token.
    public let padID: Int
    /// Context length the vocabulary's configuration names, if any.
    public let configuredContextLength: Int?

    let ids: [String: Int]
    /// (left id, right id) → merge rank, and → id of the merged symbol.
    let mergeRanks: [UInt64: Int32]
    let mergeResults: [UInt64: Int32]

    /// The number of tokens.
    public var count: Int { tokens.count }

    /// The vocabulary bundled with swift-clip (OpenAI's `bpe_simple_vocab_16e6.txt.gz`, MIT).
    public static func bundled() throws -> BPEVocabulary {
        if let cached = bundledVocabulary { return cached }
        guard let url = Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz") else {
            throw TokenizerError.missingResource(name: "bpe_simple_vocab_16e6.txt.gz")
        }
        return try bpeFile(path: url.path)
    }

    private static let bundledVocabulary: BPEVocabulary? = {
        guard let url = Bundle.module.url(forResource: "bpe_simple_vocab_16e6.txt", withExtension: "gz") else { return nil }
        return try? bpeFile(path: url.path)
    }()

    /// A Hugging Face tokenizer directory (`huggingFace(directory:)`) or a merges file
    /// (`bpeFile(path:)`), by what `path` is.
    public static func load(path: String) throws -> BPEVocabulary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizerError.unreadableFile(path: path, reason: "no such file or directory")
        }
        return isDirectory.boolValue ? try huggingFace(directory: path) : try bpeFile(path: path)
    }

    /// A reference-style merges file (`.txt` or `.txt.gz`): a header line, then one merge per line.
    /// As the reference does, at most `referenceMergeCount` merges are read.
    public static func bpeFile(path: String) throws -> BPEVocabulary {
        let text = try readText(path: path)
        // Split as bytes: Character-wise splitting (grapheme clusters) took most of the load time.
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let mergeLines = lines.dropFirst().prefix(referenceMergeCount).filter { !$0.isEmpty }
        let merges = try mergeLines.enumerated().map { index, line in
            try parseMerge(Substring(line), path: path, line: index + 2)
        }
        var tokens = ByteEncoder.orderedBytes.map { String(Character(ByteEncoder.characters[Int($0)])) }
        tokens += tokens.map { $0 + "</w>" }
        tokens += merges.map { $0.0 + $0.1 }
        tokens += ["<start_of_text>", "<end_of_text>"]
        return try BPEVocabulary(layout: .openCLIP, tokens: tokens, merges: merges, path: path,
                                 startToken: "<start_of_text>", endToken: "<end_of_text>", padToken: nil,
                                 contextLength: nil)
    }

    /// The most tokens a vocabulary file may hold (CLIP's has 49,408; multilingual ones about 250,000).
    public static let maximumTokenCount = 1_000_000

    /// A Hugging Face tokenizer directory: `vocab.json` and `merges.txt`, with
    /// `tokenizer_config.json` / `special_tokens_map.json` when present.
    public static func huggingFace(directory: String) throws -> BPEVocabulary {
        let base = URL(fileURLWithPath: directory)
        let vocabPath = base.appendingPathComponent("vocab.json").path
        let mergesPath = base.appendingPathComponent("merges.txt").path
        guard let vocab = try jsonObject(path: vocabPath) as? [String: Int] else {
            throw TokenizerError.invalidVocabulary(path: vocabPath, reason: "expected an object of token → id")
        }
        guard !vocab.isEmpty else { throw TokenizerError.invalidVocabulary(path: vocabPath, reason: "no tokens") }
        guard vocab.count <= maximumTokenCount else {
            throw TokenizerError.invalidVocabulary(path: vocabPath, reason: "\(vocab.count) tokens, more than the limit of \(maximumTokenCount)")
        }
        // N tokens take the ids 0…N−1, each once (checked before the table is allocated from them).
        var tokens = [String](repeating: "", count: vocab.count)
        for (token, id) in vocab {
            guard (0..<vocab.count).contains(id) else {
                throw TokenizerError.invalidVocabulary(path: vocabPath, reason: "id \(id) of '\(token)' is outside 0…\(vocab.count - 1)")
            }
            guard tokens[id].isEmpty else {
                throw TokenizerError.invalidVocabulary(path: vocabPath, reason: "id \(id) is used twice")
            }
            tokens[id] = token
        }
        let mergeLines = try readText(path: mergesPath).split(separator: "\n", omittingEmptySubsequences: false)
        var merges: [(String, String)] = []
        for (index, line) in mergeLines.enumerated() where !line.isEmpty && !line.hasPrefix("#version") {
            merges.append(try parseMerge(line, path: mergesPath, line: index + 1))
        }
        var special = SpecialTokens()
        for name in ["special_tokens_map.json", "tokenizer_config.json"] {
            let path = base.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path) { try special.read(path: path) }
        }
        return try BPEVocabulary(layout: .huggingFace, tokens: tokens, merges: merges, path: vocabPath,
                                 startToken: special.bos ?? "<|startoftext|>", endToken: special.eos ?? "<|endoftext|>",
                                 padToken: special.pad ?? special.eos ?? "<|endoftext|>",
                                 contextLength: special.modelMaxLength)
    }

    private init(layout: Layout, tokens: [String], merges: [(String, String)], path: String,
                 startToken: String, endToken: String, padToken: String?, contextLength: Int?) throws {
        self.layout = layout
        self.tokens = tokens
        var ids: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where !token.isEmpty { ids[token] = id }
        self.ids = ids
        func id(_ token: String, _ role: String) throws -> Int {
            guard let id = ids[token] else {
                throw TokenizerError.invalidVocabulary(path: path, reason: "\(role) '\(token)' is not in the vocabulary")
            }
            return id
        }
        self.startToken = startToken
        self.endToken = endToken
        startID = try id(startToken, "start token")
        endID = try id(endToken, "end token")
        padID = try padToken.map { try id($0, "pad token") } ?? 0
        configuredContextLength = contextLength
        for byte in 0...255 {
            let character = String(Character(ByteEncoder.characters[byte]))
            _ = try id(character, "byte symbol")
            _ = try id(character + "</w>", "word-final byte symbol")
        }
        var ranks: [UInt64: Int32] = [:]
        var results: [UInt64: Int32] = [:]
        ranks.reserveCapacity(merges.count)
        results.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            let key = Self.pairKey(try id(left, "merge part"), try id(right, "merge part"))
            if ranks[key] == nil {
                ranks[key] = Int32(rank)
                results[key] = Int32(try id(left + right, "merge result"))
            }
        }
        mergeRanks = ranks
        mergeResults = results
    }

    /// The merges in rank order, as a Hugging Face `merges.txt` lists them.
    public var orderedMerges: [(String, String)] {
        mergeRanks.sorted { $0.value < $1.value }.map { key, _ in
            (tokens[Int(key >> 32)], tokens[Int(key & 0xFFFF_FFFF)])
        }
    }

    @inline(__always) static func pairKey(_ left: Int, _ right: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
    }

    private static func parseMerge(_ line: Substring, path: String, line number: Int) throws -> (String, String) {
        let parts = line.utf8.split(separator: UInt8(ascii: " "))
        guard parts.count == 2 else {
            throw TokenizerError.invalidVocabulary(path: path, reason: "line \(number) is not a merge of two symbols: \"\(line)\"")
        }
        return (String(Substring(parts[0])), String(Substring(parts[1])))
    }

    /// A UTF-8 text file, gunzipped when it starts with the gzip magic.
    /// The JSON in the file at `path`; invalid JSON is an `invalidVocabulary` error naming the file.
    static func jsonObject(path: String) throws -> Any {
        let text = try readText(path: path)
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw TokenizerError.invalidVocabulary(path: path, reason: FailureReason.of(error))
        }
    }

    static func readText(path: String) throws -> String {
        let data: Data
        do { data = try UserFile.read(path) } catch { throw TokenizerError.unreadableFile(path: path, reason: error.reason) }
        let bytes = Gzip.isGzip(data) ? try Gzip.decompress(data, path: path) : data
        return try TextInput.decodeUTF8(bytes, source: path)
    }
}

/// Special-token settings of a Hugging Face tokenizer directory.
private struct SpecialTokens {
    var bos: String?
    var eos: String?
    var pad: String?
    var modelMaxLength: Int?

    mutating func read(path: String) throws {
        guard let object = try BPEVocabulary.jsonObject(path: path) as? [String: Any] else {
            throw TokenizerError.invalidVocabulary(path: path, reason: "expected a JSON object")
        }
        func token(_ key: String) -> String? {
            if let text = object[key] as? String { return text }
            return (object[key] as? [String: Any])?["content"] as? String
        }
        bos = token("bos_token") ?? bos
        eos = token("eos_token") ?? eos
        pad = token("pad_token") ?? pad
        if let length = object["model_max_length"] as? Int, length > 0, length < 1_000_000 { modelMaxLength = length }
    }
}
