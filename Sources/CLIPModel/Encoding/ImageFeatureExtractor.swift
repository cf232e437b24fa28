import CLIPFileSystem
import CLIPImage
import CLIPTensor
import Dispatch
import Foundation

/// An image that could not be used, and why.
public struct ImageFailure: Sendable, Equatable, Codable {
    /// The image file.
    public let path: String
    /// Why it could not be used ("no such file or directory", a decoder's error).
    public let reason: String

    /// A failure of the image at `path`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Image features kept by file content, consulted before an image is decoded (the on-disk
/// `EmbeddingCache` of CLIPEvaluation, say). Called from several threads at once.
public protocol ImageFeatureStore: AnyObject, Sendable {
    /// The key of a file's bytes (a content hash).
    func key(for contents: Data) -> String
    /// Stored raw features for `key`, if any.
    func lookup(_ key: String) -> [Float]?
    /// Keeps raw features under `key`.
    func insert(_ key: String, _ features: [Float])
}

/// Image features for many files, the one path by which image files reach a model: files read,
/// looked up in an optional store, the rest decoded and preprocessed in parallel and encoded in
/// batches. A file that cannot be read or decoded is reported and skipped; the others carry on.
///
/// ```swift
/// let result = try ImageFeatureExtractor(loaded: loaded, batchSize: 32).extract(["a.jpg", "b.png"])
/// let first = result.features[0]   // raw features, nil if "a.jpg" failed (see result.failures)
/// ```
public final class ImageFeatureExtractor {
    /// The model that encodes.
    public let loaded: LoadedModel
    /// Images per forward pass.
    public let batchSize: Int
    /// Where features are looked up before decoding and stored after encoding.
    public let cache: ImageFeatureStore?
    /// The decoder (and its pixel limit).
    public let decoder: ImageDecoder

    /// Features and failures of one `extract` call.
    public struct Result: Sendable {
        /// Raw (not normalised) features per input path, nil for the failures.
        public let features: [[Float]?]
        /// The files that could not be used, in input order.
        public let failures: [ImageFailure]
        /// How many came from the cache rather than the model.
        public let cached: Int
        /// The store's key of each file's bytes (its content hash), when a store was given; nil for
        /// the failures.
        public let contentKeys: [String?]
    }

    /// An extractor for `loaded`, encoding `batchSize` images per forward pass, consulting `cache`
    /// when given.
    public init(loaded: LoadedModel, batchSize: Int = 32, cache: ImageFeatureStore? = nil, decoder: ImageDecoder = ImageDecoder()) {
        self.loaded = loaded
        self.batchSize = max(1, batchSize)
        self.cache = cache
        self.decoder = decoder
    }

    /// Features of `paths`, in order. `progress(done, total)` is called after each batch.
    public func extract(_ paths: [String], progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        var features = [[Float]?](repeating: nil, count: paths.count)
        var keys = [String?](repeating: nil, count: paths.count)
        var failures: [ImageFailure] = []
        var cached = 0
        let size = loaded.preprocessor.size
        let stride = 3 * size * size
        for start in Swift.stride(from: 0, to: paths.count, by: batchSize) {
            let batch = Array(paths[start..<min(start + batchSize, paths.count)])
            let prepared = prepare(batch)
            var pending: [(index: Int, hash: String, pixels: [Float])] = []
            for (offset, outcome) in prepared.enumerated() {
                switch outcome {
                case let .failure(reason):
                    failures.append(ImageFailure(path: batch[offset], reason: reason))
                case let .cached(hash, vector):
                    features[start + offset] = vector
                    keys[start + offset] = hash
                    cached += 1
                case let .pixels(hash, pixels):
                    pending.append((start + offset, hash, pixels))
                    if cache != nil { keys[start + offset] = hash }
                }
            }
            if !pending.isEmpty {
                var input = [Float]()
                input.reserveCapacity(pending.count * stride)
                for item in pending { input += item.pixels }
                let tensor = Tensor(shape: [pending.count, 3, size, size], scalars: input)
                let output = try withNoGrad { try loaded.model.encodeImage(tensor) }
                let width = output.shape[1]
                let values = output.scalars
                for (row, item) in pending.enumerated() {
                    let vector = Array(values[(row * width)..<((row + 1) * width)])
                    features[item.index] = vector
                    cache?.insert(item.hash, vector)
                }
            }
            progress?(min(start + batch.count, paths.count), paths.count)
        }
        return Result(features: features, failures: failures, cached: cached, contentKeys: keys)
    }

    private enum Prepared {
        case failure(String)
        case cached(hash: String, [Float])
        case pixels(hash: String, [Float])
    }

    /// Reads, hashes, and (on a cache miss) decodes and preprocesses each file, in parallel.
    private func prepare(_ batch: [String]) -> [Prepared] {
        let decoder = self.decoder, preprocessor = loaded.preprocessor, cache = self.cache
        return Parallel.map(batch.count) { index -> Prepared in
            let path = batch[index]
            do {
                let data = try UserFile.read(path)
                let hash = cache?.key(for: data) ?? ""
                if let vector = cache?.lookup(hash) { return .cached(hash: hash, vector) }
                return .pixels(hash: hash, preprocessor(try decoder.decode(data, source: path)))
            } catch let error as FileReadError {
                return .failure(error.reason)
            } catch {
                let text = String(describing: error)
                return .failure(text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
            }
        }
    }
}
