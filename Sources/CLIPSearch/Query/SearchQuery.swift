/// A search as users write it on the command line: terms joined by `+` and `-`, each a text or an
/// image, with an optional weight prefix (`2:sunset`, `0.5:beach.jpg`) — rclip's query arithmetic.
/// The query vector is the weighted sum of the terms' normalised embeddings, normalised again.
///
/// ```swift
/// let query = try SearchQuery(arguments: ["a dog", "-", "grass", "+", "2:beach.jpg"]) { $0.hasSuffix(".jpg") }
/// // terms: +1 text "a dog", −1 text "grass", +2 image "beach.jpg"
/// ```
public struct SearchQuery: Equatable, Sendable {
    /// What a term stands for.
    public enum Subject: Equatable, Sendable {
        /// A text, embedded by the text tower (after the prompt template, if any).
        case text(String)
        /// An image file, embedded by the image tower.
        case image(path: String)
    }

    /// One term of the sum.
    public struct Term: Equatable, Sendable {
        /// The weight, negative for a subtracted term.
        public var weight: Float
        /// The text or image.
        public var subject: Subject

        /// A term.
        public init(weight: Float, subject: Subject) {
            self.weight = weight
            self.subject = subject
        }
    }

    /// The terms in order.
    public var terms: [Term]

    /// A query of these terms.
    public init(terms: [Term]) {
        self.terms = terms
    }

    /// Parses command-line words: a term, then any number of `+` or `-` followed by a term. A term
    /// names an image when `isImage` says so of its text (a file that decodes as an image), else it
    /// is a text; a leading `N:` with a finite number N gives its weight.
    public init(arguments: [String], isImage: (String) -> Bool) throws {
        var terms: [Term] = []
        var sign: Float = 1
        var expectingTerm = true
        for (index, word) in arguments.enumerated() {
            if word == "+" || word == "-" {
                guard !expectingTerm else {
                    throw SearchError.invalidQuery("'\(word)' at position \(index + 1) must stand between two terms")
                }
                sign = word == "-" ? -1 : 1
                expectingTerm = true
                continue
            }
            guard expectingTerm else {
                throw SearchError.invalidQuery("'\(word)' follows another term: join terms with + or -, or quote a text of several words")
            }
            let (weight, body) = Self.weightPrefix(word)
            guard !body.isEmpty else { throw SearchError.invalidQuery("term \(index + 1) is empty") }
            terms.append(Term(weight: sign * weight, subject: isImage(body) ? .image(path: body) : .text(body)))
            expectingTerm = false
        }
        guard !terms.isEmpty else { throw SearchError.invalidQuery("nothing to search for: give a text or an image") }
        guard !expectingTerm else { throw SearchError.invalidQuery("the query ends with '+' or '-' and no term after it") }
        self.terms = terms
    }

    /// `N:rest` with a finite number N → (N, rest); anything else → (1, word).
    static func weightPrefix(_ word: String) -> (Float, String) {
        guard let colon = word.firstIndex(of: ":"), let weight = Float(word[..<colon]), weight.isFinite else { return (1, word) }
        return (weight, String(word[word.index(after: colon)...]))
    }

    /// The weighted sum of `embeddings` (one per term, in order), each normalised first, then
    /// normalised itself. Throws when the terms cancel out.
    public func combine(_ embeddings: [[Float]]) throws -> [Float] {
        guard embeddings.count == terms.count else {
            throw SearchError.invalidQuery("\(embeddings.count) embeddings for \(terms.count) terms")
        }
        return try Self.combine(zip(terms, embeddings).map { ($0.weight, $1) })
    }

    /// The sum of the `embedding`s, each normalised and multiplied by its `weight`, normalised.
    /// Throws when there is none, when widths differ, or when the terms cancel out.
    public static func combine(_ weighted: [(weight: Float, embedding: [Float])]) throws -> [Float] {
        guard let width = weighted.first?.embedding.count else { throw SearchError.invalidQuery("a query needs at least one term") }
        var sum = [Float](repeating: 0, count: width)
        for (weight, embedding) in weighted {
            guard embedding.count == width else { throw SearchError.widthMismatch(expected: width, actual: embedding.count) }
            let norm = embedding.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0, norm.isFinite else { throw SearchError.invalidQuery("a term's embedding has no direction (norm \(norm))") }
            for i in 0..<width { sum[i] += weight * embedding[i] / norm }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-6, norm.isFinite else { throw SearchError.invalidQuery("the terms cancel out: the query has no direction") }
        return sum.map { $0 / norm }
    }
}
