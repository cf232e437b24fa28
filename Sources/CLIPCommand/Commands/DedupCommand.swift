import ArgumentParser
import CLIPSearch
import Foundation

/// `clip dedup`: groups of copies and near-duplicates in an index.
struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Find copies and near-duplicates in an index. Output: groups, most files first, each file largest first.",
        discussion: """
        Files with the same bytes form exact groups; files whose embeddings have cosine similarity ≥ --threshold \
        are joined into near groups (transitively). The first file of a group is its largest; each file's \
        similarity is to that one. With --json each line is {"group", "kind", "files": [{"path", "size", "width", \
        "height", "similarity"}]}.
        """)

    @OptionGroup var location: IndexLocationOptions
    @OptionGroup var model: IndexModelOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The cosine similarity from which two images count as near-duplicates.", valueName: "score"))
    var threshold: Float = 0.95

    @Option(parsing: .unconditional, help: ArgumentHelp("Print only the largest N groups.", valueName: "n"))
    var top: Int?

    @Flag(help: "Print one JSON object per group (JSON Lines).")
    var json = false

    func validate() throws {
        guard threshold.isFinite, (0...1).contains(threshold) else { throw ValidationError("--threshold must be 0…1, got \(threshold)") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    /// One group of `--json`.
    struct Record: Encodable {
        struct File: Encodable {
            let path: String
            let size: Int
            let width: Int?
            let height: Int?
            let similarity: Float
        }

        let group: Int
        let kind: String
        let files: [File]
    }

    func run() throws {
        let index = try location.open(mustExist: true)
        // Grouping needs only the stored vectors: the model is loaded only when --model names one.
        let entry = try model.model == nil ? IndexModelOptions.onlyModel(of: index) : model.resolve(in: index).entry
        let found = try index.duplicates(in: entry, threshold: threshold)
        let groups = Array(found.prefix(top ?? found.count))
        if json {
            let records = groups.enumerated().map { number, group in
                Record(group: number + 1, kind: group.kind.rawValue, files: group.files.map {
                    Record.File(path: $0.path, size: $0.size, width: $0.pixelSize?.width, height: $0.pixelSize?.height, similarity: $0.similarity)
                })
            }
            FileHandle.standardOutput.write(try JSONOutput.lines(records))
            return
        }
        var lines: [String] = []
        for (number, group) in groups.enumerated() {
            lines.append("group \(number + 1): \(group.kind.rawValue), \(group.files.count) files")
            for file in group.files {
                let pixels = file.pixelSize.map { "\($0.width)×\($0.height)" } ?? "?×?"
                lines.append("  " + String(format: "%.4f", file.similarity) + "  \(pixels)  \(ProgressRenderer.bytes(Int64(file.size)))  \(file.path)")
            }
        }
        if !lines.isEmpty { StandardStreams.printResult(lines.joined(separator: "\n")) }
        StandardStreams.printDiagnostic("\(found.count) group(s) of duplicates, \(found.reduce(0) { $0 + $1.files.count }) files"
                                        + (groups.count < found.count ? "; the largest \(groups.count) shown" : ""))
    }

}
