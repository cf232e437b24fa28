import Foundation

/// CLIP's byte-level BPE tokenizer, producing the same ids as open_clip's `SimpleTokenizer`
/// (and OpenAI's `simple_tokenizer.py`).
///
/// Text is cleaned as the reference cleans it — ftfy's `fix_text`, HTML-unescaped twice, whitespace
/// collapsed, stripped, lower-cased — split with the reference pattern, mapped byte by byte to BPE
/// symbols and merged by rank. Sequences are `start, tokens…, end`, truncated to the context length
/// with the end token kept last, and padded with the layout's pad id.
///
/// ```swift
/// let tokenizer = try CLIPTokenizer()
/// let ids = tokenizer.tokenize("a photo of a cat")     // 77 ids: 49406, 320, 1125, 539, 320, 2368, 49407, 0, …
/// ```
///
/// Thread-safe: the merge cache is guarded by a lock.
public final class CLIPTokenizer: @unchecked Sendable {
    /// The context length of every CLIP model so far.
    public static let defaultContextLength = 77

    /// The tokens and merges.
    public let vocabulary: BPEVocabulary
    /// Ids per text, start and end included.
    public let contextLength: Int

    private let fixer: TextFixer
    private let unescaper: HTMLUnescaper
    private let python: PythonText
    private let preTokenizer: PreTokenizer
    private let lock = NSLock()
    private var cache: [[Unicode.Scalar]: [Int]] = [:]
    /// Distinct pieces kept in the cache before it is cleared.
    private static let cacheLimit = 200_000

    /// The longest context a tokenizer accepts (CLIP's is 77; the longest text towers take 512).
    public static let maximumContextLength = 16_384

    /// A tokenizer over `vocabulary` (default: the bundled OpenAI vocabulary).
    public init(vocabulary: BPEVocabulary? = nil, contextLength: Int? = nil) throws {
        let vocabulary = try vocabulary ?? BPEVocabulary.bundled()
        let length = contextLength ?? vocabulary.configuredContextLength ?? Self.defaultContextLength
        guard (2...Self.maximumContextLength).contains(length) else { throw TokenizerError.invalidContextLength(length) }
        let tables = try FixTextTables.load()
        self.vocabulary = vocabulary
        self.contextLength = length
        fixer = TextFixer(tables: tables)
        unescaper = HTMLUnescaper(tables: tables)
        let python = PythonText(tables: tables)
        self.python = python
        preTokenizer = PreTokenizer(specialTokens: [vocabulary.startToken, vocabulary.endToken].map { Array($0.unicodeScalars) },
                                    isSpace: { python.isSpace($0) })
    }

    /// The reference's cleaning: `whitespace_clean(basic_clean(text)).lower()`.
    public func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(cleanScalars(Array(text.unicodeScalars))))
    }

    private func cleanScalars(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var scalars = fixer.fixText(text)
        scalars = unescaper.pythonUnescape(unescaper.pythonUnescape(scalars))
        scalars = python.strip(scalars)
        scalars = python.collapseWhitespace(scalars)
        return python.lower(scalars)
    }

    /// The BPE ids of `text`, without start and end tokens and without truncation.
    public func encode(_ text: String) -> [Int] {
        let cleaned = cleanScalars(Array(text.unicodeScalars))
        var ids: [Int] = []
        for piece in preTokenizer.pieces(cleaned) {
            let token = String(String.UnicodeScalarView(piece.scalars))
            // A written-out special token becomes its id, as in the reference (whose BPE cache starts
            // with them); a case-insensitive near match such as "<ſtart_of_text>" is split by the
            // pattern as one piece but then goes through BPE like any text.
            if piece.isSpecial && token == vocabulary.startToken {
                ids.append(vocabulary.startID)
            } else if piece.isSpecial && token == vocabulary.endToken {
                ids.append(vocabulary.endID)
            } else {
                ids.append(contentsOf: bpe(Array(piece.scalars)))
            }
        }
        return ids
    }

    /// `[start] + encode(text) + [end]`, truncated to `contextLength` (the end token stays last) and
    /// padded with the pad id: exactly `contextLength` ids.
    public func tokenize(_ text: String, contextLength: Int? = nil) -> [Int] {
        let length = max(contextLength ?? self.contextLength, 2)
        var ids = [vocabulary.startID] + encode(text) + [vocabulary.endID]
        if ids.count > length {
            ids = Array(ids.prefix(length))
            ids[length - 1] = vocabulary.endID
        }
        return ids + [Int](repeating: vocabulary.padID, count: length - ids.count)
    }

    /// `tokenize` for each text, in order.
    public func tokenize(_ texts: [String], contextLength: Int? = nil) -> [[Int]] {
        texts.map { tokenize($0, contextLength: contextLength) }
    }

    /// The text of `ids`, as the reference decodes: symbols joined, bytes decoded as UTF-8 with
    /// replacement characters for invalid sequences, and every `</w>` turned into a space.
    /// Pad ids are decoded like any other id (the reference does the same).
    public func decode(_ ids: [Int]) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, id < vocabulary.tokens.count else { throw TokenizerError.unknownTokenID(id) }
            for scalar in vocabulary.tokens[id].unicodeScalars {
                if let byte = ByteEncoder.bytes[scalar] {
                    bytes.append(byte)
                } else {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        // "</w>" is ASCII, so replacing it in the bytes equals replacing it in the decoded text (a
        // String replacement would work on grapheme clusters and miss "</w>" before a combining mark).
        return String(decoding: Self.replacingWordEnds(bytes), as: UTF8.self)
    }

    private static func replacingWordEnds(_ bytes: [UInt8]) -> [UInt8] {
        let marker = Array("</w>".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == marker[0], bytes[i...].starts(with: marker) {
                out.append(UInt8(ascii: " "))
                i += marker.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// BPE ids of one pre-tokenized piece, cached.
    private func bpe(_ piece: [Unicode.Scalar]) -> [Int] {
        lock.lock()
        if let cached = cache[piece] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let ids = merge(piece)
        lock.lock()
        if cache.count >= Self.cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[piece] = ids
        lock.unlock()
        return ids
    }

    /// Byte-encodes the piece, marks the last symbol word-final, and merges by rank.
    private func merge(_ piece: [Unicode.Scalar]) -> [Int] {
        let bytes = Array(String(String.UnicodeScalarView(piece)).utf8)
        guard !bytes.isEmpty else { return [] }
        var word = bytes.map { vocabulary.ids[String(Character(ByteEncoder.characters[Int($0)]))]! }
        word[word.count - 1] = vocabulary.ids[String(Character(ByteEncoder.characters[Int(bytes[bytes.count - 1])])) + "</w>"]!
        return vocabulary.merged(word)
    }
}
