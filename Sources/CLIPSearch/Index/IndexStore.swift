import CLIPImage
import Foundation

/// A model whose vectors an index holds.
public struct IndexModel: Equatable, Sendable {
    /// The store's id for it.
    public var id: Int64
    /// What the user named (a path, a Hub repository, a pretrained tag).
    public var reference: String
    /// A digest of its weights and settings: the same fingerprint means the same vectors.
    public var fingerprint: String
    /// Features per vector.
    public var width: Int
    /// How the store keeps features.
    public var element: VectorElement
    /// Which vector file holds its rows in the embedded store (compaction writes the next one); 0 elsewhere.
    public var generation: Int

    /// A model entry.
    public init(id: Int64, reference: String, fingerprint: String, width: Int, element: VectorElement, generation: Int = 0) {
        self.id = id
        self.reference = reference
        self.fingerprint = fingerprint
        self.width = width
        self.element = element
        self.generation = generation
    }
}

/// A file as an index last saw it.
public struct IndexFile: Equatable, Sendable {
    /// The store's id for the path: stable while the path stays indexed, never reused (0 until recorded).
    public var id: Int64 = 0
    /// The absolute path.
    public var path: String
    /// Its size in bytes.
    public var size: Int
    /// Its modification time, seconds since 1970.
    public var modified: Double
    /// The SHA-256 of its bytes in hex, once read.
    public var contentHash: String?
    /// Why it could not be indexed, if it could not.
    public var failure: String?
    /// Its width and height in pixels, once decoded (or taken from another file of the same content).
    public var pixelSize: PixelSize?

    /// A file record.
    public init(id: Int64 = 0, path: String, size: Int, modified: Double, contentHash: String? = nil, failure: String? = nil,
                pixelSize: PixelSize? = nil) {
        self.id = id
        self.path = path
        self.size = size
        self.modified = modified
        self.contentHash = contentHash
        self.failure = failure
        self.pixelSize = pixelSize
    }
}

/// A file as a search names it.
public struct IndexFileReference: Equatable, Sendable {
    /// The file's id.
    public var id: Int64
    /// Its absolute path.
    public var path: String

    /// A reference to file `id` at `path`.
    public init(id: Int64, path: String) {
        self.id = id
        self.path = path
    }
}

/// Where an `ImageIndex` keeps what it knows: the files seen, the models, and one vector per content
/// and model. `EmbeddedIndexStore` is a folder (SQLite and vector files) for one machine;
/// `PostgresIndexStore` is a PostgreSQL database with pgvector that many machines share.
///
/// Vectors are unit vectors, keyed by the SHA-256 of the image bytes they came from; a vector's
/// *row* is the store's number for it (a row of the embedded vector file, a PostgreSQL id). Every
/// write is all or nothing, and a store is safe to use from several threads.
public protocol IndexStore: AnyObject, Sendable {
    /// Where the store is, as messages name it: a folder, or a URL without its password.
    var location: String { get }

    // MARK: Models

    /// The models the store holds, oldest first.
    func models() throws -> [IndexModel]
    /// The model with this fingerprint, or nil.
    func model(fingerprint: String) throws -> IndexModel?
    /// The model with this fingerprint, added (its vectors kept as `element` where the store can
    /// choose) if not held yet; a fingerprint held with another width is refused.
    func model(reference: String, fingerprint: String, width: Int, element: VectorElement) throws -> IndexModel
    /// The fingerprint computed before for weights with this source key (`ModelFingerprint.sourceKey`).
    func fingerprint(sourceKey: String) throws -> String?
    /// Keeps `fingerprint` for weights with this source key.
    func remember(sourceKey: String, fingerprint: String) throws

    // MARK: Files

    /// The record of `path`, if the store has seen it.
    func file(_ path: String) throws -> IndexFile?
    /// The record with this id, if the store holds it.
    func file(id: Int64) throws -> IndexFile?
    /// Every file below `folder` (every file when nil), by path.
    func files(under folder: String?) throws -> [IndexFile]
    /// The files that could not be indexed, with their reasons, by path.
    func failures() throws -> [IndexFile]
    /// How many files the store holds, and how many of them could not be indexed.
    func fileCounts() throws -> (files: Int, failed: Int)
    /// The folders updates were given, by path.
    func roots() throws -> [String]
    /// Keeps `paths` among the folders updates were given.
    func recordRoots(_ paths: [String]) throws

    // MARK: Writing

    /// Runs `body` as a writer: the embedded store lets one process write at a time (else
    /// `SearchError.busy`); PostgreSQL lets writers on any number of machines run at once.
    func writing<T>(_ body: () throws -> T) throws -> T
    /// Makes `model`'s vectors ready to be added to (inside `writing`).
    func prepareForWriting(_ model: IndexModel) throws
    /// The content hashes that have a vector of `model`.
    func contentHashes(model: IndexModel) throws -> Set<String>
    /// One step of an update, all or nothing: `vectors` (unit vectors of new content) kept, `files`
    /// recorded (replacing earlier records of their paths), `removing` forgotten. Content that
    /// another writer added meanwhile keeps the vector that writer stored.
    func commit(model: IndexModel, vectors: [(contentHash: String, vector: [Float])], files: [IndexFile], removing: [String]) throws
    /// After an update's last commit: reclaims vectors no file uses when `options` asks, and
    /// keeps, builds or drops the approximate-search index. Returns (vectors reclaimed, has an ANN index).
    func finishUpdate(_ model: IndexModel, options: ImageIndex.UpdateOptions) throws -> (reclaimed: Int, graph: Bool)
    /// Forgets `path` and every file below it; returns how many files that was.
    func remove(under path: String) throws -> Int
    /// Drops the vectors no file uses any more; returns how many.
    func compact() throws -> Int

    // MARK: Reading

    /// The `top` files closest to the unit vector `query`, best first, files of one content in path
    /// order; only files below `folder` when given, none under `threshold`. Approximate where the
    /// store has an ANN index (`ef` its breadth), unless `exact`.
    func search(_ query: [Float], in model: IndexModel, top: Int, threshold: Float, under folder: String?, exact: Bool,
                ef: Int) throws -> [ImageIndex.Hit]
    /// The stored unit vectors of `rows` of `model`.
    func vectors(rows: [Int], in model: IndexModel) throws -> [[Float]]
    /// The row holding the vector of this content under `model`, or nil.
    func row(model: IndexModel, contentHash: String) throws -> Int?
    /// Whether `model`'s vectors have an approximate-search index.
    func hasANNIndex(_ model: IndexModel) throws -> Bool
    /// Runs `body` with a matrix of `model`'s vectors and, by row of that matrix, the files of each
    /// vector some file uses (each row's files in path order).
    func withLiveVectors<T>(_ model: IndexModel, _ body: (VectorMatrix, [Int: [IndexFile]]) throws -> T) throws -> T
}

/// `folder` ending in one slash: the prefix of the paths below it, so that `/a/b` does not match `/a/bc`.
func folderPrefix(_ folder: String) -> String {
    folder.hasSuffix("/") ? folder : folder + "/"
}
