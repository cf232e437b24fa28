import ArgumentParser
import CLIPImage
import CLIPModel
import CLIPSearch
import Foundation

/// `clip search`: the indexed images closest to a text, an image, or a sum of them.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an index by text, image or query arithmetic. Output: score and path per line, best first.",
        discussion: """
        QUERY is a text, or an image when it names an image file. Join terms with + and - (separate words), and \
        weight a term with a prefix: `clip search "a dog" + 2:beach.jpg - "grass"`. The query is the weighted sum \
        of the terms' normalised embeddings, normalised again. With --json each line is {"path", "rank", "score"}.
        """)

    @OptionGroup var location: IndexLocationOptions
    @OptionGroup var model: IndexModelOptions

    // `.unconditional` takes "-3" as the value, so that it gets a range error, not "missing value".
    @Option(parsing: .unconditional, help: "How many results to print.")
    var top = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Leave out results scoring below this cosine similarity.", valueName: "score"))
    var threshold: Float?

    @Option(help: ArgumentHelp("Only files below this folder.", valueName: "dir"))
    var under: String?

    @Option(help: ArgumentHelp("Put text terms into this prompt template first, e.g. \"a photo of {}.\"", valueName: "template"))
    var template: String?

    @Option(name: .customLong("image"), help: ArgumentHelp("Add this image as a term (repeatable), even where a text of the same name could be meant.", valueName: "path"))
    var images: [String] = []

    @Flag(help: "Scan every vector even where the index has an HNSW graph.")
    var exact = false

    @Option(parsing: .unconditional, help: ArgumentHelp("How broadly a graph search looks (more: closer to exact, slower).", valueName: "n"))
    var ef = ImageIndex.defaultSearchBreadth

    @Flag(help: "Print JSON Lines {\"path\", \"rank\", \"score\"}.")
    var json = false

    @Flag(help: "Print only the paths.")
    var pathsOnly = false

    @Argument(help: ArgumentHelp("Texts and image files joined by + and -, with optional weights N:term.", valueName: "query"))
    var query: [String] = []

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1, got \(top)") }
        guard (1...100_000).contains(ef) else { throw ValidationError("--ef must be 1…100000, got \(ef)") }
        if let threshold, !(threshold.isFinite && (-1...1).contains(threshold)) { throw ValidationError("--threshold must be -1…1") }
        if json && pathsOnly { throw ValidationError("give --json or --paths-only, not both") }
        if let template, !template.contains("{}") { throw ValidationError("--template must contain {} where the text goes") }
        guard !query.isEmpty || !images.isEmpty else { throw ValidationError("give a text or an image to search for") }
    }

    /// One line of `--json`.
    struct Record: Encodable {
        let rank: Int
        let score: Float
        let path: String
    }

    func run() throws {
        let index = try location.open(mustExist: true)
        var parsed = query.isEmpty ? SearchQuery(terms: []) : try SearchQuery(arguments: query) { ImageDecoder.format(ofFileAt: $0) != nil }
        parsed.terms += images.map { SearchQuery.Term(weight: 1, subject: .image(path: $0)) }
        let (loaded, entry) = try model.resolve(in: index)
        let vector = try parsed.combine(try embeddings(of: parsed, loaded))
        let hits = try index.search(vector, in: entry, top: top, threshold: threshold ?? -.infinity,
                                    under: under.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, exact: exact, ef: ef)
        if json {
            FileHandle.standardOutput.write(try JSONOutput.lines(hits.enumerated().map { Record(rank: $0 + 1, score: $1.score, path: $1.path) }))
        } else {
            let lines = hits.map { pathsOnly ? $0.path : String(format: "%.4f", $0.score) + "  " + $0.path }
            if !lines.isEmpty { StandardStreams.printResult(lines.joined(separator: "\n")) }
        }
    }

    /// Each term's embedding, texts through the template.
    private func embeddings(of query: SearchQuery, _ loaded: LoadedModel) throws -> [[Float]] {
        try query.terms.map { term in
            switch term.subject {
            case let .text(text):
                let prompt = template.map { $0.replacingOccurrences(of: "{}", with: text) } ?? text
                return try loaded.textFeatures([prompt])[0]
            case let .image(path):
                return try loaded.imageFeatures([path])[0]
            }
        }
    }
}
