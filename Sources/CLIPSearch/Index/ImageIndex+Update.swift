import CLIPDigest
import CLIPImage
import CLIPModel
import Foundation

extension ImageIndex {
    /// What an update did.
    public struct UpdateSummary: Equatable, Sendable, Codable {
        /// New files with new content.
        public var added = 0
        /// Known files whose content changed.
        public var updated = 0
        /// New paths of content that left another path in the same update (moved or renamed).
        public var moved = 0
        /// Files that are gone.
        public var removed = 0
        /// Files unchanged, or touched without a change of content.
        public var unchanged = 0
        /// Files that could not be read or decoded (their reasons are in the catalogue).
        public var failed = 0
        /// Images the model encoded (the rest reused vectors of the same content).
        public var encoded = 0

        /// A summary of nothing done; updates count into it.
        public init() {}
    }

    /// Brings the index up to date with the image files below `roots` (files or folders; hidden
    /// entries skipped; images recognised by their bytes) for `loaded`, named `reference` in the
    /// catalogue. `progress(done, total)` follows the files that had to be read.
    public func update(roots: [String], model loaded: LoadedModel, reference: String, element: VectorElement = .float16,
                       batchSize: Int = 32, progress: ((Int, Int) -> Void)? = nil) throws -> UpdateSummary {
        let model = try register(loaded, reference: reference, element: element)
        let matrix = try vectors(model)
        let rootPaths = roots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        var known: [String: IndexCatalogue.File] = [:]
        for root in rootPaths {
            for file in try catalogue.files(under: root) { known[file.path] = file }
            if let file = try catalogue.file(root) { known[file.path] = file }
        }
        let found = try Self.walk(rootPaths, isKnown: { known[$0] != nil })
        let heldContent = try catalogue.contentHashes(model: model)

        var summary = UpdateSummary()
        var candidates: [String] = []
        for (path, seen) in found.sorted(by: { $0.key < $1.key }) {
            if let file = known[path], file.size == seen.size, file.modified == seen.modified, file.failure == nil,
               let hash = file.contentHash, heldContent.contains(hash) {
                summary.unchanged += 1
            } else {
                candidates.append(path)
            }
        }
        let gone = known.values.filter { found[$0.path] == nil }
        summary.removed = gone.count
        let goneHashes = Set(gone.compactMap(\.contentHash))

        let store = IndexFeatureStore(held: heldContent)
        let result = try ImageFeatureExtractor(loaded: loaded, batchSize: batchSize, cache: store).extract(candidates, progress: progress)
        let failures = Dictionary(result.failures.map { ($0.path, $0.reason) }, uniquingKeysWith: { first, _ in first })

        // Vectors first, on disk; then the rows that refer to them, in one transaction.
        let newContent = store.newContent()
        let rows = try matrix.append(newContent.map(\.vector))
        summary.encoded = newContent.count
        var records: [IndexCatalogue.File] = []
        for (index, path) in candidates.enumerated() {
            let seen = found[path]!
            guard let hash = result.contentKeys[index], result.features[index] != nil else {
                summary.failed += 1
                records.append(.init(path: path, size: seen.size, modified: seen.modified, failure: failures[path] ?? "could not be read"))
                continue
            }
            if let previous = known[path], previous.failure == nil {
                if previous.contentHash == hash { summary.unchanged += 1 } else { summary.updated += 1 }
            } else if goneHashes.contains(hash) {
                summary.moved += 1
            } else {
                summary.added += 1
            }
            records.append(.init(path: path, size: seen.size, modified: seen.modified, contentHash: hash))
        }
        try catalogue.commit(model: model, vectors: zip(newContent, rows).map { ($0.hash, $1) }, files: records,
                             removing: gone.map(\.path))
        return summary
    }

    /// Size and modification time of every image file below `roots`. Files the catalogue already
    /// knows are listed without being read; others only if their first bytes are an image's.
    static func walk(_ roots: [String], isKnown: (String) -> Bool) throws -> [String: (size: Int, modified: Double)] {
        var found: [String: (size: Int, modified: Double)] = [:]
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey]
        func consider(_ url: URL) {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true,
                  let size = values.fileSize, let modified = values.contentModificationDate else { return }
            let path = url.standardizedFileURL.path
            if !isKnown(path) {
                guard let handle = FileHandle(forReadingAtPath: path) else { return }
                let head = (try? handle.read(upToCount: 12)) ?? Data()
                try? handle.close()
                guard ImageDecoder.format(of: head) != nil else { return }
            }
            found[path] = (size, modified.timeIntervalSince1970)
        }
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
                throw SearchError.io(path: root, reason: "no such file or directory")
            }
            guard isDirectory.boolValue else {
                consider(URL(fileURLWithPath: root))
                continue
            }
            let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: root, isDirectory: true), includingPropertiesForKeys: keys,
                                                            options: [.skipsHiddenFiles])
            while let url = enumerator?.nextObject() as? URL { consider(url) }
        }
        return found
    }
}

/// The index as the feature extractor's store: a file's bytes are keyed by SHA-256, content the
/// index already holds (`held`) is not encoded again, and new features are kept (normalised) until
/// the update appends them.
final class IndexFeatureStore: ImageFeatureStore, @unchecked Sendable {
    private let held: Set<String>
    private var fresh: [String: [Float]] = [:]
    private var order: [String] = []
    private let lock = NSLock()

    init(held: Set<String>) {
        self.held = held
    }

    func key(for contents: Data) -> String {
        var digest = StreamingDigest(.sha256)
        digest.update(contents)
        return digest.finalizeHex()
    }

    func lookup(_ key: String) -> [Float]? {
        if let vector = lock.withLock({ fresh[key] }) { return vector }
        // The extractor only needs to know that the content is held; the vector stays on disk.
        return held.contains(key) ? [] : nil
    }

    func insert(_ key: String, _ features: [Float]) {
        let norm = features.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let unit = norm > 0 ? features.map { $0 / norm } : features
        lock.withLock {
            if fresh[key] == nil { order.append(key) }
            fresh[key] = unit
        }
    }

    /// The content encoded in this update, in the order it was first seen.
    func newContent() -> [(hash: String, vector: [Float])] {
        lock.withLock { order.map { ($0, fresh[$0]!) } }
    }
}
