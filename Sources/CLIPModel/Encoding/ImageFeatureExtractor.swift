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
///
/// Unchecked `Sendable`: its properties never change, and the background preparation of the next
/// batch reads only the decoder, the preprocessor and the (thread-safe) store.
public final class ImageFeatureExtractor: @unchecked Sendable {
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
        /// The pixel size of each image decoded in this call; nil for the failures and for images
        /// whose features came from the store.
        public let pixelSizes: [PixelSize?]
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
        var features: [[Float]?] = [], keys: [String?] = [], sizes: [PixelSize?] = []
        var failures: [ImageFailure] = []
        var cached = 0
        try forEachBatch(paths) { start, batch in
            features += batch.features
            keys += batch.contentKeys
            sizes += batch.pixelSizes
            failures += batch.failures
            cached += batch.cached
            progress?(start + batch.features.count, paths.count)
        }
        return Result(features: features, failures: failures, cached: cached, contentKeys: keys, pixelSizes: sizes)
    }

    /// Features of `paths` batch by batch: `body(start, result)` with the result of
    /// `paths[start..<start + batchSize]`, in order. The next batch is read and decoded while this
    /// one is encoded.
    public func forEachBatch(_ paths: [String], _ body: (Int, Result) throws -> Void) throws {
        let starts = Array(Swift.stride(from: 0, to: paths.count, by: batchSize))
        var upcoming = starts.first.map { prepareInBackground(batch(paths, at: $0)) }
        for (number, start) in starts.enumerated() {
            let batch = self.batch(paths, at: start)
            let prepared = upcoming!.wait()
            upcoming = number + 1 < starts.count ? prepareInBackground(self.batch(paths, at: starts[number + 1])) : nil
            try body(start, try encode(batch, prepared))
        }
    }

    /// Encodes the prepared images of `batch` that the store did not hold.
    private func encode(_ batch: [String], _ prepared: [Prepared]) throws -> Result {
        var features = [[Float]?](repeating: nil, count: batch.count)
        var keys = [String?](repeating: nil, count: batch.count)
        var sizes = [PixelSize?](repeating: nil, count: batch.count)
        var failures: [ImageFailure] = []
        var cached = 0
        var pending: [(index: Int, hash: String, pixels: [Float])] = []
        for (index, outcome) in prepared.enumerated() {
            switch outcome {
            case let .failure(reason):
                failures.append(ImageFailure(path: batch[index], reason: reason))
            case let .cached(hash, vector):
                features[index] = vector
                keys[index] = hash
                cached += 1
            case let .pixels(hash, pixels, pixelSize):
                pending.append((index, hash, pixels))
                sizes[index] = pixelSize
                if cache != nil { keys[index] = hash }
            }
        }
        if !pending.isEmpty {
            let size = loaded.preprocessor.size
            var input = [Float]()
            input.reserveCapacity(pending.count * 3 * size * size)
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
        return Result(features: features, failures: failures, cached: cached, contentKeys: keys, pixelSizes: sizes)
    }

    private func batch(_ paths: [String], at start: Int) -> [String] {
        Array(paths[start..<min(start + batchSize, paths.count)])
    }

    /// `prepare(batch)` on a background queue; `wait()` returns its result.
    private func prepareInBackground(_ batch: [String]) -> PendingBatch {
        let pending = PendingBatch()
        DispatchQueue.global(qos: .userInitiated).async(group: pending.group) { [self] in
            pending.result = prepare(batch)
        }
        return pending
    }

    /// A batch being prepared on another thread.
    private final class PendingBatch: @unchecked Sendable {
        let group = DispatchGroup()
        var result: [Prepared] = []

        func wait() -> [Prepared] {
            group.wait()
            return result
        }
    }

    private enum Prepared {
        case failure(String)
        case cached(hash: String, [Float])
        case pixels(hash: String, [Float], PixelSize)
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
                let image = try decoder.decode(data, source: path)
                return .pixels(hash: hash, preprocessor(image), PixelSize(width: image.width, height: image.height))
            } catch let error as FileReadError {
                return .failure(error.reason)
            } catch {
                let text = String(describing: error)
                return .failure(text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text)
            }
        }
    }
}
