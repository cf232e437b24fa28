// Legend: B batch, S image size.
import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTokenizer
import Dispatch
import Foundation

/// One batch ready for the model.
public struct TrainingBatch: @unchecked Sendable {
    /// `[B, 3, S, S]` preprocessed pixels.
    public let images: Tensor          // [B, 3, S, S]
    /// Token ids, one row per sample.
    public let tokens: [[Int]]
    /// Positions in the epoch's order of the samples used (skipped ones are absent).
    public let sampleCount: Int
    /// Samples skipped while filling the batch, each with why.
    public let skipped: [String]
}

/// Deterministic batches over a dataset: the order of an epoch is a permutation drawn from
/// (seed, epoch), and each sample's augmentation from (seed, epoch, sample index), so a resumed run
/// sees exactly the batches an uninterrupted one would. Samples are decoded and augmented in parallel.
/// An unreadable sample is skipped and reported; the batch is filled from the next samples so that
/// every batch has the full size (the last incomplete one is dropped, as open_clip's loader does).
public struct TrainingBatches: Sendable {
    /// The samples.
    public let data: CaptionedImages
    /// Batch size, shuffling, seed and augmentation come from these options.
    public let options: TrainingOptions
    /// The inference transform, whose size and filter augmentation uses too.
    public let preprocessor: ImagePreprocessor
    /// The model's tokenizer.
    public let tokenizer: any TextTokenizer
    /// The image decoder.
    public let decoder = ImageDecoder()

    /// Batches of `options.batchSize` samples of `data`, shuffled per `options.shuffle` from
    /// `options.seed` and augmented per `options.augmentation`.
    public init(data: CaptionedImages, options: TrainingOptions, preprocessor: ImagePreprocessor, tokenizer: any TextTokenizer) throws {
        guard options.batchSize >= 1, options.batchSize <= data.samples.count else {
            throw TrainingError.invalidOption("batch size \(options.batchSize) needs 1…\(data.samples.count) (the dataset's size)")
        }
        self.data = data
        self.options = options
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
    }

    /// Samples per batch.
    public var batchSize: Int { options.batchSize }

    /// Full batches per epoch.
    public var batchesPerEpoch: Int { data.samples.count / batchSize }

    /// The sample indices of `epoch` in order.
    public func order(epoch: Int) -> [Int] {
        var indices = Array(data.samples.indices)
        guard options.shuffle else { return indices }
        var generator = RandomGenerator(seed: Self.mix(options.seed, UInt64(epoch), 0x5348_5546))
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            indices.swapAt(i, j)
        }
        return indices
    }

    /// Batch `index` of `epoch`, beginning at position `start` of the epoch's order; returns the batch
    /// and the position after its last sample.
    public func batch(epoch: Int, startingAt start: Int, order: [Int]) throws -> (TrainingBatch, next: Int) {
        var pixels: [Float] = []
        var tokens: [[Int]] = []
        var skipped: [String] = []
        var position = start
        let stride = 3 * preprocessor.size * preprocessor.size
        while tokens.count < batchSize {
            let wanted = batchSize - tokens.count
            guard position + wanted <= order.count else {
                throw TrainingError.invalidData(source: data.source, reason: "too many unreadable samples to fill a batch in epoch \(epoch)")
            }
            let chunk = Array(order[position..<(position + wanted)])
            let prepared = prepare(chunk, epoch: epoch)
            for (index, result) in zip(chunk, prepared) {
                switch result {
                case let .success(values):
                    pixels += values
                    tokens.append(try tokenizer.tokenize([data.samples[index].caption])[0])
                case let .failure(reason):
                    skipped.append("\(data.samples[index].name): \(reason)")
                }
            }
            position += wanted
        }
        let images = Tensor(shape: [batchSize, 3, preprocessor.size, preprocessor.size], scalars: pixels)
        precondition(pixels.count == batchSize * stride)
        return (TrainingBatch(images: images, tokens: tokens, sampleCount: position - start, skipped: skipped), position)
    }

    private enum Prepared {
        case success([Float])
        case failure(String)
    }

    private func prepare(_ indices: [Int], epoch: Int) -> [Prepared] {
        let crop = RandomResizedCrop(size: preprocessor.size, filter: preprocessor.filter)
        return Parallel.map(indices.count) { position -> Prepared in
            let index = indices[position]
            do {
                let sample = data.samples[index]
                let image = try decoder.decode(try sample.imageData(), source: sample.name)
                switch options.augmentation {
                case .none:
                    return .success(preprocessor(image))
                case .standard:
                    var generator = RandomGenerator(seed: Self.mix(options.seed, UInt64(epoch), UInt64(index)))
                    return .success(preprocessor.normalized(crop(image, using: &generator)))
                }
            } catch {
                return .failure(String(describing: error))
            }
        }
    }

    /// A 64-bit mix of three values (SplitMix64 finaliser), for independent per-sample streams.
    static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        var z = a &* 0x9E37_79B9_7F4A_7C15 ^ (b &+ 0x632B_E59B_D9B4_E019) &* 0xBF58_476D_1CE4_E5B9 ^ c &* 0x94D0_49BB_1331_11EB
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
