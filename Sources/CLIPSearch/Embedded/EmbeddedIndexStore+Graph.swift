import CLIPTensor
import Foundation

extension EmbeddedIndexStore {
    static func graphFileName(_ model: IndexModel) -> String {
        "hnsw-\(model.fingerprint.prefix(16))-\(model.generation).graph"
    }

    /// The HNSW graph file of `model`'s vectors now (present only when one was built).
    public func graphFile(of model: IndexModel) -> URL {
        directory.appendingPathComponent(Self.graphFileName(model))
    }

    /// Builds the graph of `model` or extends it to the vector file's rows, as `policy` says (the
    /// writers' lock held). A graph file that cannot be used is built again. Returns whether the
    /// model has a graph now.
    @discardableResult
    func updateGraph(_ model: IndexModel, matrix: VectorMatrix, policy: ImageIndex.GraphPolicy, parameters: ImageIndex.HNSWParameters,
                     progress: ((Int, Int) -> Void)? = nil) throws -> Bool {
        let file = graphFile(of: model)
        let exists = FileManager.default.fileExists(atPath: file.path)
        let wanted: Bool
        switch policy {
        case .none: wanted = false
        case .hnsw, .ivfflat: wanted = true
        case .auto: wanted = exists || matrix.count >= ImageIndex.automaticGraphRows
        }
        guard wanted else {
            if exists { try? FileManager.default.removeItem(at: file) }
            return false
        }
        let graph = (try? readGraph(file, rows: matrix.count)) ?? HNSWGraph(m: parameters.m, efConstruction: parameters.efConstruction)
        guard graph.count < matrix.count || !exists else { return true }
        try matrix.withRows { base in graph.extend(to: matrix.count, scorer: RowScorer(base: base, matrix: matrix), progress: progress) }
        let data = graph.serialized()
        try AtomicFile.write(to: file.path) { try $0.write(contentsOf: data) }
        return true
    }

    /// The graph in `file`, for a vector file of `rows` rows.
    func readGraph(_ file: URL, rows: Int) throws -> HNSWGraph {
        let data: Data
        do { data = try Data(contentsOf: file, options: .alwaysMapped) } catch {
            throw SearchError.io(path: file.path, reason: "cannot read the graph")
        }
        do { return try HNSWGraph.read(data, rows: rows) } catch {
            throw SearchError.invalidGraphFile(path: file.path, reason: String(describing: error))
        }
    }

    /// The graph of `model` for searching, read once per file version; nil without one (or with
    /// one that cannot be used: the search scans instead, and the next update rebuilds it).
    func graphForSearch(_ model: IndexModel, rows: Int) -> HNSWGraph? {
        let file = graphFile(of: model)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let modified = attributes[.modificationDate] as? Date, let size = attributes[.size] as? Int else { return nil }
        let version = "\(file.lastPathComponent) \(size) \(modified.timeIntervalSince1970)"
        if let cached = lock.withLock({ graphs[version] }) { return cached }
        guard let graph = try? readGraph(file, rows: rows) else { return nil }
        lock.withLock { graphs = [version: graph] }
        return graph
    }
}

extension EmbeddedIndexStore {
    public func hasANNIndex(_ model: IndexModel) throws -> Bool {
        FileManager.default.fileExists(atPath: graphFile(of: model).path)
    }
}
