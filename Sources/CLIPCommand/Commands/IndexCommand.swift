import ArgumentParser
import CLIPModel
import CLIPSearch
import Foundation

/// `clip index`: builds and maintains an index of image folders for `clip search` and `clip dedup`.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index image folders for search, incrementally. Output: a summary report.",
        discussion: """
        Only new files, and files whose size or modification time changed and whose bytes changed, are encoded; \
        moved, renamed and copied files reuse the vector of their content. Hidden files are skipped, images are \
        recognised by their bytes, and a file that cannot be read is recorded with its reason (--failures lists \
        them) without stopping the run. An interrupted run keeps what it committed and the next run completes it. \
        Without PATH: --compact, --failures or --remove alone, or a report of what the index holds. \
        With --store postgresql://… the index lives in PostgreSQL with pgvector, and indexers on several machines \
        may feed it at once; --export-to copies an index folder there without encoding again.
        """)

    @OptionGroup var location: IndexLocationOptions

    @Option(help: ArgumentHelp("The model to encode with (a local model, Hub repository or ARCH:TAG); needed with PATH.", valueName: "ref"))
    var model: String?

    @Option(help: ArgumentHelp("For a bare state-dict file: a preset name or an open_clip config JSON.", valueName: "arch"))
    var arch: String?

    @OptionGroup var precision: PrecisionOptions

    @OptionGroup var batch: BatchOptions

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Skip files and folders whose name or relative path matches this glob (repeatable).", valueName: "glob"))
    var excludes: [String] = []

    @Option(help: "How a new model's vectors are stored: f16 (half the space; scores differ from f32 by under 1e-4 in the tests) or f32.")
    var vectorDtype: VectorElement = .float16

    @Option(parsing: .unconditional, help: ArgumentHelp("Files per catalogue transaction: an interrupted run keeps what it committed.", valueName: "n"))
    var commitEvery = 512

    @Option(help: ArgumentHelp("Keep an index for approximate search: auto (HNSW from \(ImageIndex.automaticGraphRows) vectors), hnsw (always), ivfflat (PostgreSQL only) or none.", valueName: "kind"))
    var ann: ImageIndex.GraphPolicy = .auto

    @Option(name: .customLong("hnsw-m"), parsing: .unconditional, help: ArgumentHelp("HNSW links per node (2…100) for a new graph.", valueName: "n"))
    var hnswM = ImageIndex.HNSWParameters().m

    @Option(parsing: .unconditional, help: ArgumentHelp("HNSW candidates per insertion (4…1000, at least 2 × --hnsw-m) for a new graph.", valueName: "n"))
    var efConstruction = ImageIndex.HNSWParameters().efConstruction

    @Option(parsing: .unconditional, help: ArgumentHelp("IVFFlat lists (default: vectors / 1000 up to a million, their square root beyond).", valueName: "n"))
    var lists: Int?

    @Option(help: ArgumentHelp("Copy this index (folders, files, vectors) into another store, e.g. postgresql://…, without encoding again.", valueName: "url"))
    var exportTo: String?

    @Flag(help: "Reclaim the space of vectors no file uses any more (after indexing PATH, if given).")
    var compact = false

    @Option(help: ArgumentHelp("Compact on its own after an update when more than this fraction of the vectors belong to no file (0…1; 1 never).", valueName: "fraction"))
    var compactAbove = 0.5

    @Flag(help: "List the files that could not be indexed, with their reasons.")
    var failures = false

    @Option(name: .customLong("remove"), help: ArgumentHelp("Forget a file or folder (repeatable); its files leave the results at once.", valueName: "path"))
    var removals: [String] = []

    @OptionGroup var report: ReportOptions

    @Argument(help: "Image files or folders to index.")
    var paths: [String] = []

    func validate() throws {
        if !paths.isEmpty && model == nil { throw ValidationError("give --model to index PATH (the model the index encodes images with)") }
        if model != nil && paths.isEmpty { throw ValidationError("give the files or folders to index with --model") }
        if failures && (!paths.isEmpty || compact || !removals.isEmpty) { throw ValidationError("--failures lists failures only; run it on its own") }
        guard commitEvery >= 1 else { throw ValidationError("--commit-every must be at least 1, got \(commitEvery)") }
        guard (0...1).contains(compactAbove) else { throw ValidationError("--compact-above must be 0…1, got \(compactAbove)") }
        if let lists, !(1...32_768).contains(lists) { throw ValidationError("--lists must be 1…32768, got \(lists)") }
        if exportTo != nil && (failures || !paths.isEmpty || compact || !removals.isEmpty) {
            throw ValidationError("--export-to copies the index as it is; run it on its own")
        }
    }

    func run() throws {
        let index = try location.open(mustExist: paths.isEmpty)
        if failures { return try listFailures(index) }
        if let exportTo { return try export(index, to: exportTo) }
        var result = IndexReport(index: index.location)
        for path in removals { result.removed += try index.remove(path) }
        if let model {
            let started = Date()
            let loaded = try loadModel(model, architecture: arch)
            try precision.apply(to: loaded.model)
            var options = ImageIndex.UpdateOptions(reference: Self.storedReference(model))
            options.element = vectorDtype
            options.batchSize = batch.batchSize
            options.exclude = excludes
            options.commitEvery = commitEvery
            options.compactAbove = compactAbove < 1 ? compactAbove : nil
            options.progress = ProgressRenderer.shared.reporter("images")
            options.graph = ann
            options.hnsw = ImageIndex.HNSWParameters(m: hnswM, efConstruction: efConstruction)
            options.lists = lists
            options.graphProgress = ProgressRenderer.shared.reporter("graph")
            let summary = try index.update(roots: paths, model: loaded, options: options)
            result.add(summary, seconds: Date().timeIntervalSince(started))
        }
        if compact { result.reclaimed += try index.compact() }
        result.files = try index.fileCounts().files
        result.models = try index.models().map(\.reference)
        try report.emit(result)
        if result.failed > 0 {
            StandardStreams.printDiagnostic("\(result.failed) file(s) could not be indexed; `clip index --failures\(location.hintOption)` lists them")
        }
    }

    /// A local model path made absolute, so that a search from another folder loads it again.
    static func storedReference(_ reference: String) -> String {
        FileManager.default.fileExists(atPath: reference) ? URL(fileURLWithPath: reference).standardizedFileURL.path : reference
    }

    /// Copies `index` into the store at `target`, and reports what the target holds.
    private func export(_ index: ImageIndex, to target: String) throws {
        let started = Date()
        let destination = try ImageIndex.open(location: target)
        guard destination.location != index.location else { throw ValidationError("--export-to names the index itself") }
        var options = ImageIndex.UpdateOptions(reference: "")
        options.graph = ann
        options.hnsw = ImageIndex.HNSWParameters(m: hnswM, efConstruction: efConstruction)
        options.lists = lists
        let summary = try index.export(to: destination, options: options, progress: ProgressRenderer.shared.reporter("files"))
        var result = ExportReport(source: index.location, target: destination.location, summary: summary)
        result.seconds = Date().timeIntervalSince(started)
        try report.emit(result)
    }

    private func listFailures(_ index: ImageIndex) throws {
        let failed = try index.failures()
        if report.json {
            FileHandle.standardOutput.write(try JSONOutput.lines(failed.map { FailureRecord(path: $0.path, reason: $0.failure ?? "") }))
        } else {
            for file in failed { StandardStreams.printResult("\(file.path): \(file.failure ?? "")") }
        }
    }

    /// One line of `--failures --json`.
    struct FailureRecord: Encodable {
        let path: String
        let reason: String
    }
}

/// What `clip index --export-to` copied.
struct ExportReport: Report {
    let source: String
    let target: String
    let summary: ImageIndex.ExportSummary
    var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case source, target, summary, seconds
    }

    var text: String {
        "\(source) → \(target): \(summary.models) model(s), \(summary.vectors) vectors, \(summary.files) files copied in " + String(format: "%.1f s", seconds)
    }
}

/// What `clip index` did, and what the index holds afterwards.
struct IndexReport: Report {
    let index: String
    var added = 0, updated = 0, moved = 0, removed = 0, unchanged = 0, failed = 0, encoded = 0, reclaimed = 0
    var seconds = 0.0
    var files = 0
    var models: [String] = []

    mutating func add(_ summary: ImageIndex.UpdateSummary, seconds: Double) {
        added += summary.added
        updated += summary.updated
        moved += summary.moved
        removed += summary.removed
        unchanged += summary.unchanged
        failed += summary.failed
        encoded += summary.encoded
        reclaimed += summary.reclaimed
        self.seconds += seconds
    }

    enum CodingKeys: String, CodingKey {
        case index, added, updated, moved, removed, unchanged, failed, encoded, reclaimed, seconds, files, models
    }

    var text: String {
        var lines = ["\(index): \(files) files, models: \(models.isEmpty ? "none" : models.joined(separator: ", "))"]
        if seconds > 0 || added + updated + moved + removed + unchanged + failed > 0 {
            lines.append("\(added) added, \(updated) updated, \(moved) moved, \(removed) removed, \(unchanged) unchanged, \(failed) failed; "
                         + "\(encoded) encoded in " + String(format: "%.1f s", seconds))
        } else if removed > 0 {
            lines.append("\(removed) removed")
        }
        if reclaimed > 0 { lines.append("\(reclaimed) unused vectors reclaimed") }
        return lines.joined(separator: "\n")
    }
}
