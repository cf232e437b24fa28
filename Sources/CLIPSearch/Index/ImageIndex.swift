import CLIPFileSystem
import CLIPModel
import Foundation

/// A searchable index of image files: a directory holding the SQLite catalogue and, per model, an
/// append-only vector file.
///
/// ```swift
/// let index = try ImageIndex(directory: URL(fileURLWithPath: "photos.index"))
/// let summary = try index.update(roots: ["/home/me/Photos"], model: loaded, reference: "ViT-B-32:openai")
/// let hits = try index.search(queryVector, model: loaded, top: 10)
/// ```
///
/// `update` encodes only content it has not seen: files whose size and modification time are
/// unchanged are not read, and a moved, renamed, touched or copied file reuses the vector of its
/// bytes. Vectors reach the disk before the catalogue rows that refer to them commit, so a process
/// killed at any moment leaves an index that opens and answers with what was committed. One process
/// writes at a time (updates, removals, compaction take `write.lock`); any number search meanwhile.
public final class ImageIndex: @unchecked Sendable {
    /// The index directory.
    public let directory: URL
    /// The catalogue.
    public let catalogue: IndexCatalogue
    private var matrices: [String: VectorMatrix] = [:]
    /// The graph last read for searching, by file name, size and modification time.
    var graphs: [String: HNSWGraph] = [:]
    let lock = NSLock()

    /// The catalogue's file name in an index directory.
    public static let catalogueName = "catalogue.sqlite"
    /// The writers' lock file in an index directory.
    static let lockName = "write.lock"

    /// Opens the index in `directory`, creating it if needed.
    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SearchError.io(path: directory.path, reason: "cannot create the index folder: \(FailureReason.of(error))")
        }
        catalogue = try IndexCatalogue(path: directory.appendingPathComponent(Self.catalogueName).path)
    }

    /// The models whose vectors the index holds, oldest first.
    public func models() throws -> [IndexCatalogue.Model] {
        try catalogue.models()
    }

    /// The file name of `model`'s vectors: a new generation after each compaction.
    static func vectorFileName(_ model: IndexCatalogue.Model) -> String {
        "vectors-\(model.fingerprint.prefix(16))-\(model.generation).\(model.element.rawValue)"
    }

    /// The file holding `model`'s vectors now.
    public func vectorFile(of model: IndexCatalogue.Model) -> URL {
        directory.appendingPathComponent(Self.vectorFileName(model))
    }

    /// The vector file of `model` for reading; nil while the model has no vectors yet.
    func vectors(_ model: IndexCatalogue.Model) throws -> VectorMatrix? {
        let name = Self.vectorFileName(model)
        if let matrix = lock.withLock({ matrices[name] }) { return matrix }
        let path = vectorFile(of: model).path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let matrix = try VectorMatrix(path: path, width: model.width, element: model.element, writable: false)
        lock.withLock { matrices[name] = matrix }
        return matrix
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

    /// The vector file of `model` for appending (the writers' lock held), repaired first: rows an
    /// update appended but never committed are cut off, rows the catalogue refers to but the file
    /// lacks (a damaged file) are forgotten so that their images are encoded again, and files of
    /// other generations (left by an interrupted compaction) are removed.
    func vectorsForWriting(_ model: IndexCatalogue.Model) throws -> VectorMatrix {
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

    /// The catalogue's entry for `loaded`, added on first use.
    func register(_ loaded: LoadedModel, reference: String, element: VectorElement) throws -> IndexCatalogue.Model {
        try catalogue.model(reference: reference, fingerprint: fingerprint(of: loaded), width: loaded.model.configuration.embedDim,
                            element: element)
    }

    /// `ModelFingerprint.of(loaded)`, remembered by the catalogue under the weights' source key: the
    /// same unchanged file is fingerprinted once, and a search reads only the weights it runs.
    public func fingerprint(of loaded: LoadedModel) throws -> String {
        guard let key = ModelFingerprint.sourceKey(of: loaded) else { return ModelFingerprint.of(loaded) }
        if let known = try catalogue.fingerprint(sourceKey: key) { return known }
        let fingerprint = ModelFingerprint.of(loaded)
        // A search may run while another process writes; the next one remembers it then.
        try? catalogue.remember(sourceKey: key, fingerprint: fingerprint)
        return fingerprint
    }

    /// The catalogue's entry for `loaded`; an error naming the models the index does hold if not there.
    public func model(for loaded: LoadedModel) throws -> IndexCatalogue.Model {
        try model(fingerprint: fingerprint(of: loaded), described: "the model given")
    }

    /// The catalogue's entry with this fingerprint; an error naming `described` and the models the
    /// index holds if not there.
    public func model(fingerprint: String, described: String) throws -> IndexCatalogue.Model {
        if let model = try catalogue.model(fingerprint: fingerprint) { return model }
        let held = try catalogue.models().map { "\($0.reference) (\($0.fingerprint.prefix(12)))" }
        throw SearchError.modelNotIndexed(model: "\(described) (\(fingerprint.prefix(12)))", held: held, index: directory.path)
    }

    /// Forgets `path` and every file below it; returns how many files that was. Their vectors are
    /// reclaimed by `compact`.
    @discardableResult
    public func remove(_ path: String) throws -> Int {
        let writing = try lockForWriting()
        defer { withExtendedLifetime(writing) {} }
        return try catalogue.remove(under: URL(fileURLWithPath: path).standardizedFileURL.path)
    }
}
