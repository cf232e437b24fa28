import CLIPFileSystem
import Foundation

/// The index store of one machine: a folder holding the SQLite catalogue and, per model, an
/// append-only vector file (and an HNSW graph of it once large).
///
/// Vectors reach the disk before the catalogue rows that refer to them commit, so a process killed
/// at any moment leaves a store that opens and answers with what was committed. One process writes
/// at a time (updates, removals, compaction take `write.lock`); any number search meanwhile.
public final class EmbeddedIndexStore: IndexStore, @unchecked Sendable {
    /// The index folder.
    public let directory: URL
    /// The catalogue.
    public let catalogue: IndexCatalogue
    private var matrices: [String: VectorMatrix] = [:]
    /// The vector files opened for appending by the writer, by model fingerprint.
    private var writable: [String: VectorMatrix] = [:]
    /// The graph last read for searching, by file name, size and modification time.
    var graphs: [String: HNSWGraph] = [:]
    let lock = NSLock()

    /// The catalogue's file name in an index folder.
    public static let catalogueName = "catalogue.sqlite"
    /// The writers' lock file in an index folder.
    static let lockName = "write.lock"

    /// Opens the store in `directory`, creating it if needed.
    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SearchError.io(path: directory.path, reason: "cannot create the index folder: \(FailureReason.of(error))")
        }
        catalogue = try IndexCatalogue(path: directory.appendingPathComponent(Self.catalogueName).path)
    }

    public var location: String { directory.path }

    // MARK: - Catalogue

    public func models() throws -> [IndexModel] { try catalogue.models() }
    public func model(fingerprint: String) throws -> IndexModel? { try catalogue.model(fingerprint: fingerprint) }
    public func model(reference: String, fingerprint: String, width: Int, element: VectorElement) throws -> IndexModel {
        try catalogue.model(reference: reference, fingerprint: fingerprint, width: width, element: element)
    }
    public func fingerprint(sourceKey: String) throws -> String? { try catalogue.fingerprint(sourceKey: sourceKey) }
    public func remember(sourceKey: String, fingerprint: String) throws { try catalogue.remember(sourceKey: sourceKey, fingerprint: fingerprint) }
    public func file(_ path: String) throws -> IndexFile? { try catalogue.file(path) }
    public func file(id: Int64) throws -> IndexFile? { try catalogue.file(id: id) }
    public func files(under folder: String?) throws -> [IndexFile] { try catalogue.files(under: folder) }
    public func failures() throws -> [IndexFile] { try catalogue.failures() }
    public func fileCounts() throws -> (files: Int, failed: Int) { try catalogue.fileCounts() }
    public func roots() throws -> [String] { try catalogue.roots() }
    public func recordRoots(_ paths: [String]) throws { try catalogue.recordRoots(paths) }
    public func contentHashes(model: IndexModel) throws -> Set<String> { try catalogue.contentHashes(model: model) }
    public func row(model: IndexModel, contentHash: String) throws -> Int? { try catalogue.row(model: model, contentHash: contentHash) }

    // MARK: - Vector files

    /// The file name of `model`'s vectors: a new generation after each compaction.
    static func vectorFileName(_ model: IndexModel) -> String {
        "vectors-\(model.fingerprint.prefix(16))-\(model.generation).\(model.element.rawValue)"
    }

    /// The file holding `model`'s vectors now.
    public func vectorFile(of model: IndexModel) -> URL {
        directory.appendingPathComponent(Self.vectorFileName(model))
    }

    /// The vector file of `model` for reading; nil while the model has no vectors yet.
    func vectors(_ model: IndexModel) throws -> VectorMatrix? {
        let name = Self.vectorFileName(model)
        if let matrix = lock.withLock({ matrices[name] }) { return matrix }
        let path = vectorFile(of: model).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let matrix = try VectorMatrix(path: path, width: model.width, element: model.element, writable: false)
        lock.withLock { matrices[name] = matrix }
        return matrix
    }

    public func vectors(rows: [Int], in model: IndexModel) throws -> [[Float]] {
        guard !rows.isEmpty else { return [] }
        guard let matrix = try vectors(model) else { throw SearchError.invalidQuery("the index holds no vectors of \(model.reference)") }
        if let highest = rows.max(), highest >= matrix.count { try matrix.refresh() }
        return try rows.map { try matrix.row($0) }
    }

    // MARK: - Writing

    public func writing<T>(_ body: () throws -> T) throws -> T {
        let writing = try lockForWriting()
        defer {
            lock.withLock { writable.removeAll() }
            withExtendedLifetime(writing) {}
        }
        return try body()
    }

    /// Takes the writers' lock, or says which process is writing.
    func lockForWriting() throws -> FileLock {
        do {
            return try FileLock(directory.appendingPathComponent(Self.lockName), wait: false)
        } catch where error.isHeldElsewhere {
            throw SearchError.busy(index: directory.path)
        } catch {
            throw SearchError.io(path: error.path, reason: error.reason)
        }
    }

    public func prepareForWriting(_ model: IndexModel) throws {
        let matrix = try vectorsForWriting(model)
        lock.withLock { writable[model.fingerprint] = matrix }
    }

    /// The vector file of `model` for appending (the writers' lock held), repaired first: rows an
    /// update appended but never committed are cut off, rows the catalogue refers to but the file
    /// lacks (a damaged file) are forgotten so that their images are encoded again, and files of
    /// other generations (left by an interrupted compaction) are removed.
    func vectorsForWriting(_ model: IndexModel) throws -> VectorMatrix {
        let name = Self.vectorFileName(model)
        let matrix = try VectorMatrix(path: vectorFile(of: model).path, width: model.width, element: model.element)
        let referenced = try catalogue.referencedRowCount(model: model)
        if matrix.count > referenced { try matrix.truncate(to: referenced) }
        if matrix.count < referenced { try catalogue.forgetRows(model: model, from: matrix.count) }
        let prefixes = ["vectors-\(model.fingerprint.prefix(16))-", "hnsw-\(model.fingerprint.prefix(16))-"]
        let current = [name, Self.graphFileName(model)]
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where prefixes.contains(where: stale.hasPrefix) && !current.contains(stale) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(stale))
        }
        lock.withLock { matrices[name] = nil }
        return matrix
    }

    public func commit(model: IndexModel, vectors: [(contentHash: String, vector: [Float])], files: [IndexFile], removing: [String]) throws {
        guard let matrix = lock.withLock({ writable[model.fingerprint] }) else {
            preconditionFailure("commit outside writing/prepareForWriting")
        }
        // Vectors first, on disk; then the rows that refer to them, in one transaction.
        let rows = try matrix.append(vectors.map(\.vector))
        CrashPoints.reach("appended")
        try catalogue.commit(model: model, vectors: zip(vectors, rows).map { ($0.contentHash, $1) }, files: files, removing: removing)
    }

    public func finishUpdate(_ model: IndexModel, options: ImageIndex.UpdateOptions) throws -> (reclaimed: Int, graph: Bool) {
        var reclaimed = 0
        if let fraction = options.compactAbove {
            let usage = try catalogue.rowUsage(model: model)
            if usage.total > 0, Double(usage.total - usage.live) > fraction * Double(usage.total) {
                reclaimed = try compactLocked(model)
            }
        }
        guard let current = try catalogue.model(fingerprint: model.fingerprint) else { return (reclaimed, false) }
        let matrix = current.generation == model.generation ? lock.withLock({ writable[model.fingerprint] }) : nil
        let graph = try updateGraph(current, matrix: matrix ?? vectorsForWriting(current), policy: options.graph, parameters: options.hnsw,
                                    progress: options.graphProgress)
        return (reclaimed, graph)
    }

    public func remove(under path: String) throws -> Int {
        try writing { try catalogue.remove(under: path) }
    }

    // MARK: - Duplicates

    public func withLiveVectors<T>(_ model: IndexModel, _ body: (VectorMatrix, [Int: [IndexFile]]) throws -> T) throws -> T {
        guard let current = try catalogue.model(fingerprint: model.fingerprint), let matrix = try vectors(current) else {
            let empty = try VectorMatrix.temporary(width: model.width)
            return try body(empty, [:])
        }
        let filesByRow = try catalogue.filesByRow(model: current)
        try matrix.refresh()
        return try body(matrix, filesByRow.filter { $0.key < matrix.count })
    }
}
