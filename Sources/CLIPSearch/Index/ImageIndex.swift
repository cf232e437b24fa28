import CLIPDigest
import CLIPImage
import CLIPModel
import Foundation

/// A searchable index of image files: a directory holding the SQLite catalogue and, per model, an
/// append-only vector file.
///
/// ```swift
/// let index = try ImageIndex(directory: URL(fileURLWithPath: "photos.index"))
/// let summary = try index.update(roots: ["/home/me/Photos"], model: loaded)
/// let hits = try index.search(queryVector, model: loaded, top: 10)
/// ```
///
/// `update` encodes only content it has not seen: files whose size and modification time are
/// unchanged are not read, and a moved, renamed, touched or copied file reuses the vector of its
/// bytes. Vectors reach the disk before the catalogue rows that refer to them commit, so a process
/// killed at any moment leaves an index that opens and answers with what was committed.
public final class ImageIndex: @unchecked Sendable {
    /// The index directory.
    public let directory: URL
    /// The catalogue.
    public let catalogue: IndexCatalogue
    private var matrices: [String: VectorMatrix] = [:]
    private let lock = NSLock()

    /// The catalogue's file name in an index directory.
    public static let catalogueName = "catalogue.sqlite"

    /// Opens the index in `directory`, creating it if needed.
    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SearchError.io(path: directory.path, reason: "cannot create the index folder")
        }
        catalogue = try IndexCatalogue(path: directory.appendingPathComponent(Self.catalogueName).path)
    }

    /// The vector file of `model`, cut back to the rows the catalogue refers to (rows appended by an
    /// update that was killed before it committed).
    func vectors(_ model: IndexCatalogue.Model) throws -> VectorMatrix {
        try lock.withLock {
            if let matrix = matrices[model.fingerprint] { return matrix }
            let path = directory.appendingPathComponent("vectors-\(model.fingerprint.prefix(16)).\(model.element.rawValue)").path
            let matrix = try VectorMatrix(path: path, width: model.width, element: model.element)
            let referenced = try catalogue.referencedRowCount(model: model)
            if matrix.count > referenced { try matrix.truncate(to: referenced) }
            matrices[model.fingerprint] = matrix
            return matrix
        }
    }

    /// The catalogue's entry for `loaded`, added on first use.
    func register(_ loaded: LoadedModel, reference: String, element: VectorElement) throws -> IndexCatalogue.Model {
        try catalogue.model(reference: reference, fingerprint: ModelFingerprint.of(loaded), width: loaded.model.configuration.embedDim,
                            element: element)
    }

    // MARK: - Search

    /// A search result.
    public struct Hit: Equatable, Sendable, Codable {
        /// The file.
        public let path: String
        /// Cosine similarity with the query.
        public let score: Float
    }

    /// The `top` files closest to `query` (a unit vector in `loaded`'s embedding space), best first;
    /// files with the same content score alike and are listed in path order. Only files below
    /// `folder` when given, and none scoring under `threshold`.
    public func search(_ query: [Float], model loaded: LoadedModel, top: Int = 10, threshold: Float = -.infinity,
                       under folder: String? = nil) throws -> [Hit] {
        let fingerprint = ModelFingerprint.of(loaded)
        guard let model = try catalogue.models().first(where: { $0.fingerprint == fingerprint }) else {
            let held = try catalogue.models().map(\.reference).joined(separator: ", ")
            throw SearchError.invalidQuery("this index holds no vectors of the model given; it holds \(held.isEmpty ? "none yet" : held) — index with this model first")
        }
        let matrix = try vectors(model)
        let paths = try catalogue.paths(model: model, under: folder)
        var hits: [Hit] = []
        // Rows shared by several files may fill `top` on their own; ask for enough rows.
        for row in try ExactSearch.top(top, in: matrix, query: query, threshold: threshold, include: { paths[$0] != nil }) {
            for path in paths[row.row] ?? [] where hits.count < top { hits.append(Hit(path: path, score: row.score)) }
        }
        return hits
    }
}
