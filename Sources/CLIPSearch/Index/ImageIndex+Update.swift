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
        /// Vectors of vanished content dropped by compaction after the update.
        public var reclaimed = 0
        /// Whether the model has an approximate-search index after the update.
        public var graph = false

        /// A summary of nothing done; updates count into it.
        public init() {}
    }

    /// How an update runs.
    public struct UpdateOptions: Sendable {
        /// What the user called the model (a path, Hub repository or tag), kept in the catalogue so
        /// that a search can load it again.
        public var reference: String
        /// How new vector files store features.
        public var element: VectorElement = .float16
        /// Images per forward pass.
        public var batchSize = 32
        /// fnmatch(3) globs of names or relative paths to skip.
        public var exclude: [String] = []
        /// Files per catalogue transaction: a killed update keeps what it committed.
        public var commitEvery = 512
        /// Compact the model's vectors after the update when more than this fraction of them belong
        /// to no file; nil never compacts on its own.
        public var compactAbove: Double? = 0.5
        /// Called with (files read, files to read) as batches finish.
        public var progress: (@Sendable (Int, Int) -> Void)?
        /// When to keep an approximate-search index of the vectors, and which.
        public var graph: GraphPolicy = .auto
        /// How an HNSW index is built.
        public var hnsw = HNSWParameters()
        /// IVFFlat's number of lists (PostgreSQL); nil: rows / 1000 up to a million rows, their square root beyond.
        public var lists: Int?
        /// Called with (rows added, rows to add) while the graph grows.
        public var graphProgress: (@Sendable (Int, Int) -> Void)?

        /// Options for a model named `reference`, with the defaults above.
        public init(reference: String) {
            self.reference = reference
        }
    }

    /// Brings the index up to date with the image files below `roots` (files or folders; hidden
    /// entries skipped; images recognised by their bytes) for `loaded`.
    public func update(roots: [String], model loaded: LoadedModel, reference: String, element: VectorElement = .float16,
                       batchSize: Int = 32, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> UpdateSummary {
        var options = UpdateOptions(reference: reference)
        options.element = element
        options.batchSize = batchSize
        options.progress = progress
        return try update(roots: roots, model: loaded, options: options)
    }

    /// Brings the index up to date with the image files below `roots` for `loaded`: new and changed
    /// files are read and hashed, content the index lacks is encoded, vanished files are forgotten.
    /// Changes commit every `options.commitEvery` files, vectors first.
    public func update(roots: [String], model loaded: LoadedModel, options: UpdateOptions) throws -> UpdateSummary {
        try options.hnsw.validate()
        if options.graph == .ivfflat, store is EmbeddedIndexStore {
            throw SearchError.invalidQuery("an index folder keeps HNSW graphs; IVFFlat is for the PostgreSQL store")
        }
        return try store.writing { try updateWriting(roots: roots, model: loaded, options: options) }
    }

    private func updateWriting(roots: [String], model loaded: LoadedModel, options: UpdateOptions) throws -> UpdateSummary {
        let model = try register(loaded, reference: options.reference, element: options.element)
        try store.prepareForWriting(model)
        let rootPaths = roots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        try store.recordRoots(rootPaths)
        var known: [String: IndexFile] = [:]
        for root in rootPaths {
            for file in try store.files(under: root) { known[file.path] = file }
            if let file = try store.file(root) { known[file.path] = file }
        }
        let found = try ImageFileWalk(exclude: options.exclude, isKnown: { known[$0] != nil }).files(below: rootPaths)
        let held = try store.contentHashes(model: model)

        var summary = UpdateSummary()
        var candidates: [String] = []
        for (path, seen) in found.sorted(by: { $0.key < $1.key }) {
            if let file = known[path], file.size == seen.size, file.modified == seen.modified, file.failure == nil,
               let hash = file.contentHash, held.contains(hash) {
                summary.unchanged += 1
            } else {
                candidates.append(path)
            }
        }
        let gone = known.values.filter { found[$0.path] == nil }.map(\.path).sorted()
        summary.removed = gone.count
        let goneHashes = Set(gone.compactMap { known[$0]?.contentHash })

        let features = IndexFeatureStore(held: held)
        let extractor = ImageFeatureExtractor(loaded: loaded, batchSize: options.batchSize, cache: features)
        var records: [IndexFile] = []
        func commit(removing: [String]) throws {
            let newContent = features.takeNewContent()
            guard !newContent.isEmpty || !records.isEmpty || !removing.isEmpty else { return }
            try store.commit(model: model, vectors: newContent.map { ($0.hash, $0.vector) }, files: records, removing: removing)
            CrashPoints.reach("committed")
            summary.encoded += newContent.count
            features.hold(newContent.map(\.hash))
            records.removeAll()
        }
        try extractor.forEachBatch(candidates) { start, batch in
            CrashPoints.reach("encoded")
            for (offset, vector) in batch.features.enumerated() {
                let path = candidates[start + offset]
                let seen = found[path]!
                guard let hash = batch.contentKeys[offset], vector != nil else {
                    summary.failed += 1
                    let reason = batch.failures.first { $0.path == path }?.reason ?? "could not be read"
                    records.append(.init(path: path, size: seen.size, modified: seen.modified, failure: reason))
                    continue
                }
                if let previous = known[path], previous.failure == nil {
                    if previous.contentHash == hash { summary.unchanged += 1 } else { summary.updated += 1 }
                } else if goneHashes.contains(hash) {
                    summary.moved += 1
                } else {
                    summary.added += 1
                }
                records.append(.init(path: path, size: seen.size, modified: seen.modified, contentHash: hash, pixelSize: batch.pixelSizes[offset]))
            }
            options.progress?(start + batch.features.count, candidates.count)
            if records.count >= options.commitEvery { try commit(removing: []) }
        }
        // Removals last: a moved file's old path keeps its content's pixel size until the new path has taken it.
        try commit(removing: gone)
        (summary.reclaimed, summary.graph) = try store.finishUpdate(model, options: options)
        return summary
    }
}

/// The index as the feature extractor's store: a file's bytes are keyed by SHA-256, content the
/// index already holds (`held`) is not encoded again, and new features are kept (normalised) until
/// the update appends them.
final class IndexFeatureStore: ImageFeatureStore, @unchecked Sendable {
    private var held: Set<String>
    private var fresh: [String: [Float]] = [:]
    private var order: [String] = []
    private let lock = NSLock()

    init(held: Set<String>) {
        self.held = held
    }

    func key(for contents: Data) -> String {
        CrashPoints.reach("read")
        return StreamingDigest.hex(of: contents)
    }

    func lookup(_ key: String) -> [Float]? {
        lock.withLock {
            if let vector = fresh[key] { return vector }
            // The extractor only needs to know that the content is held; the vector stays on disk.
            return held.contains(key) ? [] : nil
        }
    }

    func insert(_ key: String, _ features: [Float]) {
        let norm = features.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let unit = norm > 0 ? features.map { $0 / norm } : features
        lock.withLock {
            guard !held.contains(key), fresh[key] == nil else { return }
            order.append(key)
            fresh[key] = unit
        }
    }

    /// The content encoded since the last call, in the order it was first seen; the store forgets it.
    func takeNewContent() -> [(hash: String, vector: [Float])] {
        lock.withLock {
            defer {
                order.removeAll()
                fresh.removeAll()
            }
            return order.map { ($0, fresh[$0]!) }
        }
    }

    /// Marks `hashes` as held by the index (their vectors committed).
    func hold(_ hashes: [String]) {
        lock.withLock { held.formUnion(hashes) }
    }
}
