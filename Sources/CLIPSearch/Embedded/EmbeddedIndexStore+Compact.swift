import Foundation

extension EmbeddedIndexStore {
    /// Rewrites each model's vectors without the rows no file uses any more (content deleted, or
    /// changed since), and returns how many rows that dropped. The new vector file is complete on
    /// disk before the catalogue switches to it in one transaction, so a crash leaves the old index
    /// or the new one; searches running meanwhile finish on the file they started with.
    @discardableResult
    public func compact() throws -> Int {
        try writing { try catalogue.models().reduce(0) { $0 + (try compactLocked($1)) } }
    }

    /// `compact` of one model, the writers' lock held.
    func compactLocked(_ model: IndexModel) throws -> Int {
        let source = try vectorsForWriting(model)
        let live = try catalogue.liveRows(model: model)
        guard live.count < source.count else { return 0 }
        var next = model
        next.generation += 1
        let target = vectorFile(of: next)
        try? FileManager.default.removeItem(at: target)
        let compacted = try VectorMatrix(path: target.path, width: model.width, element: model.element)
        try compacted.append(rows: live.map(\.row), of: source)
        CrashPoints.reach("compacting")
        try catalogue.commitCompaction(model: model, rows: live.enumerated().map { ($1.contentHash, $0) })
        try? FileManager.default.removeItem(atPath: source.path)
        // Rows were renumbered: a graph the model had is built anew for the new file.
        let oldGraph = graphFile(of: model)
        if FileManager.default.fileExists(atPath: oldGraph.path) {
            let old = try? readGraph(oldGraph, rows: source.count)
            let parameters = old.map { ImageIndex.HNSWParameters(m: $0.m, efConstruction: $0.efConstruction) } ?? ImageIndex.HNSWParameters()
            try updateGraph(next, matrix: compacted, policy: .hnsw, parameters: parameters)
            try? FileManager.default.removeItem(at: oldGraph)
        }
        return source.count - live.count
    }
}
