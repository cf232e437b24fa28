import CLIPModel
import Foundation

/// A searchable index of image files, kept in an `IndexStore`: a folder on this machine
/// (`EmbeddedIndexStore`) or a PostgreSQL database with pgvector (`PostgresIndexStore`).
///
/// ```swift
/// let index = try ImageIndex(directory: URL(fileURLWithPath: "photos.index"))
/// let summary = try index.update(roots: ["/home/me/Photos"], model: loaded, reference: "ViT-B-32:openai")
/// let hits = try index.search(queryVector, model: loaded, top: 10)
/// ```
///
/// `update` encodes only content it has not seen: files whose size and modification time are
/// unchanged are not read, and a moved, renamed, touched or copied file reuses the vector of its
/// bytes. Every step commits all or nothing, so a process killed at any moment leaves an index
/// that opens and answers with what was committed.
public final class ImageIndex: Sendable {
    /// Where the index lives.
    public let store: any IndexStore

    /// The index kept in `store`.
    public init(store: any IndexStore) {
        self.store = store
    }

    /// The index in the folder `directory`, created if needed.
    public convenience init(directory: URL) throws {
        self.init(store: try EmbeddedIndexStore(directory: directory))
    }

    /// The index at `location`: a `postgresql://` URL names a PostgreSQL store, anything else an
    /// index folder.
    public static func open(location: String) throws -> ImageIndex {
        if PostgresLocation.isPostgresURL(location) {
            return ImageIndex(store: try PostgresIndexStore(PostgresLocation(location)))
        }
        return try ImageIndex(directory: URL(fileURLWithPath: location))
    }

    /// Where the index is, as messages name it.
    public var location: String { store.location }

    /// The models whose vectors the index holds, oldest first.
    public func models() throws -> [IndexModel] {
        try store.models()
    }

    /// The record of `path`, if the index has seen it.
    public func file(_ path: String) throws -> IndexFile? { try store.file(path) }
    /// The record with this id, if the index holds it.
    public func file(id: Int64) throws -> IndexFile? { try store.file(id: id) }
    /// Every file below `folder` (every file when nil), by path.
    public func files(under folder: String? = nil) throws -> [IndexFile] { try store.files(under: folder) }
    /// The files that could not be indexed, with their reasons, by path.
    public func failures() throws -> [IndexFile] { try store.failures() }
    /// How many files the index holds, and how many of them could not be indexed.
    public func fileCounts() throws -> (files: Int, failed: Int) { try store.fileCounts() }
    /// The folders updates were given, by path.
    public func roots() throws -> [String] { try store.roots() }

    /// The store's entry for `loaded`, added on first use.
    func register(_ loaded: LoadedModel, reference: String, element: VectorElement) throws -> IndexModel {
        try store.model(reference: reference, fingerprint: fingerprint(of: loaded), width: loaded.model.configuration.embedDim, element: element)
    }

    /// `ModelFingerprint.of(loaded)`, remembered by the store under the weights' source key: the
    /// same unchanged file is fingerprinted once, and a search reads only the weights it runs.
    public func fingerprint(of loaded: LoadedModel) throws -> String {
        guard let key = ModelFingerprint.sourceKey(of: loaded) else { return ModelFingerprint.of(loaded) }
        if let known = try store.fingerprint(sourceKey: key) { return known }
        let fingerprint = ModelFingerprint.of(loaded)
        // A search may run while another process writes; the next one remembers it then.
        try? store.remember(sourceKey: key, fingerprint: fingerprint)
        return fingerprint
    }

    /// The store's entry for `loaded`; an error naming the models the index does hold if not there.
    public func model(for loaded: LoadedModel) throws -> IndexModel {
        try model(fingerprint: fingerprint(of: loaded), described: "the model given")
    }

    /// The store's entry with this fingerprint; an error naming `described` and the models the
    /// index holds if not there.
    public func model(fingerprint: String, described: String) throws -> IndexModel {
        if let model = try store.model(fingerprint: fingerprint) { return model }
        let held = try store.models().map { "\($0.reference) (\($0.fingerprint.prefix(12)))" }
        throw SearchError.modelNotIndexed(model: "\(described) (\(fingerprint.prefix(12)))", held: held, index: location)
    }

    /// Whether `model`'s vectors have an approximate-search index (an HNSW graph, or pgvector's index).
    public func hasANNIndex(_ model: IndexModel) throws -> Bool {
        try store.hasANNIndex(model)
    }

    /// Forgets `path` and every file below it; returns how many files that was. Their vectors are
    /// reclaimed by `compact`.
    @discardableResult
    public func remove(_ path: String) throws -> Int {
        try store.remove(under: URL(fileURLWithPath: path).standardizedFileURL.path)
    }

    /// Drops the vectors no file uses any more (content deleted, or changed since); returns how many.
    @discardableResult
    public func compact() throws -> Int {
        try store.compact()
    }
}
