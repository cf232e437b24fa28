import Foundation

extension ImageIndex {
    /// What an export copied.
    public struct ExportSummary: Equatable, Sendable, Codable {
        /// File records (failures included).
        public var files = 0
        /// Vectors the target did not hold yet, all models together.
        public var vectors = 0
        /// Models.
        public var models = 0
    }

    /// Files or vectors per transaction of an export.
    public static let exportBatchRows = 2_000

    /// Copies this index into `target` (an index folder into PostgreSQL, or back) without encoding
    /// anything again: the models, the vectors of every content some file uses, every file record
    /// with its failure or content, and the indexed folders. Files are matched by path and contents
    /// by hash, so running it again after an interruption (or after the source grew) completes the
    /// copy. `options` says how the target's ANN index is kept; `progress` gets (rows copied, rows).
    @discardableResult
    public func export(to target: ImageIndex, options: UpdateOptions = UpdateOptions(reference: ""),
                       progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> ExportSummary {
        let models = try store.models()
        guard !models.isEmpty else { throw SearchError.invalidQuery("\(location) holds no model's vectors: nothing to export") }
        let files = try store.files(under: nil)
        return try target.store.writing {
            var summary = ExportSummary()
            try target.store.recordRoots(try store.roots())
            var entries: [IndexModel] = []
            for model in models {
                let entry = try target.store.model(reference: model.reference, fingerprint: model.fingerprint, width: model.width, element: model.element)
                try target.store.prepareForWriting(entry)
                entries.append(entry)
            }
            let total = files.count
            var done = 0
            for (model, entry) in zip(models, entries) {
                let held = try target.store.contentHashes(model: entry)
                try store.withLiveVectors(model) { matrix, filesByRow in
                    let rows = filesByRow.keys.sorted().filter { filesByRow[$0]?.first?.contentHash.map(held.contains) == false }
                    for start in stride(from: 0, to: rows.count, by: Self.exportBatchRows) {
                        let vectors = try rows[start..<min(start + Self.exportBatchRows, rows.count)].compactMap { row -> (contentHash: String, vector: [Float])? in
                            guard let hash = filesByRow[row]?.first?.contentHash else { return nil }
                            return (hash, try matrix.row(row))
                        }
                        try target.store.commit(model: entry, vectors: vectors, files: [], removing: [])
                        summary.vectors += vectors.count
                    }
                }
                summary.models += 1
            }
            for start in stride(from: 0, to: files.count, by: Self.exportBatchRows) {
                let batch = files[start..<min(start + Self.exportBatchRows, files.count)].map { file -> IndexFile in
                    var copy = file
                    copy.id = 0
                    return copy
                }
                try target.store.commit(model: entries[0], vectors: [], files: batch, removing: [])
                summary.files += batch.count
                done += batch.count
                progress?(done, total)
            }
            var finishing = options
            finishing.compactAbove = nil
            for entry in entries { _ = try target.store.finishUpdate(entry, options: finishing) }
            return summary
        }
    }
}
