import CLIPDigest
import CLIPFileSystem
import CLIPModel
import CLIPTensor
import Foundation

/// Image features of one model on disk, keyed by the SHA-256 of each image file's bytes, so a second
/// evaluation (other templates, other classes) does not encode the images again.
///
/// One file per model, `<directory>/<model fingerprint>.embeddings`: the magic `CLIPEMB1`, the width
/// (UInt32), a reserved UInt32, the count (UInt64), then per image 32 bytes of digest and `width`
/// Float32 features, all little-endian. `save()` writes a new file and renames it into place
/// (`AtomicFile`), so a process killed while saving leaves the previous file whole.
public final class EmbeddingCache: ImageFeatureStore, @unchecked Sendable {
    /// The cache file.
    public let file: URL
    /// The number of features per image.
    public let width: Int
    private var vectors: [String: [Float]] = [:]
    private var dirty = false
    private let lock = NSLock()
    /// Set when an existing file was unreadable (damaged or of another width) and was ignored.
    public private(set) var discardedDamagedFile = false

    static let magic = Array("CLIPEMB1".utf8)

    /// The cache of `loaded`'s image features in the `embeddings` folder of `cacheDirectory`.
    public convenience init(model loaded: LoadedModel, cacheDirectory: URL) {
        self.init(directory: cacheDirectory.appendingPathComponent("embeddings"), modelFingerprint: ModelFingerprint.of(loaded),
                  width: loaded.model.configuration.embedDim)
    }

    /// The cache file `<directory>/<modelFingerprint>.embeddings` of features `width` wide, read if
    /// it exists (a damaged file is ignored and later replaced).
    public init(directory: URL, modelFingerprint: String, width: Int) {
        file = directory.appendingPathComponent("\(modelFingerprint).embeddings")
        self.width = width
        load()
    }

    /// How many images have features here.
    public var count: Int { lock.withLock { vectors.count } }

    /// The SHA-256 of `contents`, in hex.
    public func key(for contents: Data) -> String {
        StreamingDigest.hex(of: contents)
    }

    /// The features stored for a content hash.
    public func lookup(_ contentHash: String) -> [Float]? {
        lock.withLock { vectors[contentHash] }
    }

    /// Stores features under a content hash (written by the next `save()`).
    public func insert(_ contentHash: String, _ features: [Float]) {
        precondition(features.count == width, "feature width")
        lock.withLock {
            vectors[contentHash] = features
            dirty = true
        }
    }

    /// Writes the cache if anything was added: temporary file, fsync, rename.
    public func save() throws {
        let (snapshot, changed) = lock.withLock { (vectors, dirty) }
        guard changed else { return }
        var data = Data(Self.magic)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append(UInt32(width))
        append(UInt32(0))
        append(UInt64(snapshot.count))
        data.reserveCapacity(data.count + snapshot.count * (32 + 4 * width))
        for (hash, features) in snapshot.sorted(by: { $0.key < $1.key }) {
            data.append(contentsOf: Self.bytes(ofHex: hash))
            features.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(to: file.path) { try $0.write(contentsOf: data) }
        } catch {
            throw EvaluationError.cache(path: file.path, reason: "cannot write the embedding cache: \(FailureReason.of(error))")
        }
        lock.withLock { dirty = false }
    }

    private func load() {
        guard let data = try? Data(contentsOf: file, options: .mappedIfSafe) else { return }
        let recordSize = 32 + 4 * width
        guard data.count >= 24, Array(data.prefix(8)) == Self.magic,
              data.withUnsafeBytes({ $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian }) == UInt32(width) else {
            discardedDamagedFile = true
            return
        }
        let count = Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian })
        guard count >= 0, count <= (data.count - 24) / recordSize, data.count == 24 + count * recordSize else {
            discardedDamagedFile = true
            return
        }
        data.withUnsafeBytes { raw in
            for record in 0..<count {
                let base = 24 + record * recordSize
                let hash = raw[base..<(base + 32)].map { String(format: "%02x", $0) }.joined()
                var features = [Float](repeating: 0, count: width)
                features.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(base + 32)..<(base + recordSize)])) }
                vectors[hash] = features
            }
        }
    }

    static func bytes(ofHex hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
