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
    /// Positions of the epoch's order the global batch took, skipped samples included.
    public let sampleCount: Int
    /// Samples this rank skipped while filling the batch, each with why.
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

    /// The batch of `epoch` beginning at position `start` of the epoch's order; returns the batch and
    /// the position after its last sample.
    public func batch(epoch: Int, startingAt start: Int, order: [Int]) throws -> (TrainingBatch, next: Int) {
        try batch(epoch: epoch, startingAt: start, order: order, share: .whole) { [$0] }
    }

    /// This rank's `share` of the global batch of `epoch` beginning at position `start`, and the position
    /// after the global batch. The global batch is the first `batchSize` readable samples from `start`,
    /// as in a one-process run: rank r first reads its slice `start + r·n ..< start + (r+1)·n`; while
    /// any rank lacks samples it could not read, the positions after the batch are dealt out in rank
    /// order to the ranks lacking them. `agree` takes this rank's count of missing samples and returns
    /// every rank's (a collective: on several ranks, `Communicator.allGather`).
    public func batch(epoch: Int, startingAt start: Int, order: [Int], share: BatchShare,
                      agree: (Int) throws -> [Int]) throws -> (TrainingBatch, next: Int) {
        precondition(batchSize % share.ranks == 0, "a batch of \(batchSize) does not split over \(share.ranks) ranks")
        let rows = batchSize / share.ranks
        var pixels: [Float] = []
        var tokens: [[Int]] = []
        var skipped: [String] = []
        var cursor = start + batchSize
        var positions = (start + share.rank * rows)..<(start + (share.rank + 1) * rows)
        let tooManySkipped = TrainingError.invalidData(source: data.source, reason: "too many unreadable samples to fill a batch in epoch \(epoch)")
        guard cursor <= order.count else { throw tooManySkipped }
        while true {
            let chunk = Array(order[positions])
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
            let missing = try agree(rows - tokens.count)
            let total = missing.reduce(0, +)
            guard total > 0 else { break }
            guard cursor + total <= order.count else { throw tooManySkipped }
            let first = cursor + missing[..<share.rank].reduce(0, +)
            positions = first..<(first + missing[share.rank])
            cursor += total
        }
        let images = Tensor(shape: [rows, 3, preprocessor.size, preprocessor.size], scalars: pixels)
        return (TrainingBatch(images: images, tokens: tokens, sampleCount: cursor - start, skipped: skipped), cursor)
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

/// The part of every global batch one rank of a distributed run takes.
public struct BatchShare: Sendable, Equatable {
    /// This rank.
    public let rank: Int
    /// The number of ranks; the batch size must be a multiple of it.
    public let ranks: Int

    /// Rank `rank` of `ranks`.
    public init(rank: Int, ranks: Int) {
        precondition(ranks >= 1 && (0..<ranks).contains(rank), "rank \(rank) of \(ranks)")
        self.rank = rank
        self.ranks = ranks
    }

    /// The whole batch, for a one-process run.
    public static let whole = BatchShare(rank: 0, ranks: 1)
}
