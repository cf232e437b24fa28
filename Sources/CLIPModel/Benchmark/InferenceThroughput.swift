import CLIPTensor
import Dispatch

/// The speed of one tower on random inputs: the median of timed forward passes after two warm-up
/// passes, as `Benchmarks/model.py` compares it with PyTorch.
public struct InferenceThroughput: Sendable {
    /// Inputs per forward pass.
    public let batch: Int
    /// For the text tower: tokens per text, start and end included.
    public let tokens: Int?
    /// The median forward pass, in seconds.
    public let medianSeconds: Double

    /// Inputs per second at the median.
    public var itemsPerSecond: Double { Double(batch) / medianSeconds }

    /// The image tower on `batch` random images, timed `iterations` times.
    public static func images(_ model: CLIP, batch: Int, iterations: Int) throws -> InferenceThroughput {
        let size = model.configuration.vision.imageSize
        let images = Tensor.normal([batch, 3, size, size], seed: 1)
        let seconds = try median(iterations) { _ = try withNoGrad { try model.encodeImage(images) } }
        return InferenceThroughput(batch: batch, tokens: nil, medianSeconds: seconds)
    }

    /// The text tower on `batch` random texts of `tokens` ids each (start and end included, the rest
    /// of the context padding), timed `iterations` times.
    public static func texts(_ model: CLIP, batch: Int, tokens count: Int, iterations: Int) throws -> InferenceThroughput {
        let context = model.configuration.text.contextLength
        guard (2...context).contains(count) else { throw ModelError.sequenceTooLong(length: count, contextLength: context) }
        var generator = RandomGenerator(seed: 2)
        let vocabulary = model.configuration.text.vocabSize
        let tokens = (0..<batch).map { _ -> [Int] in
            var row = [Int](repeating: 0, count: context)
            row[0] = vocabulary - 2
            for i in 1..<(count - 1) { row[i] = 1 + Int(generator.next() % UInt64(max(vocabulary - 3, 1))) }
            row[count - 1] = vocabulary - 1
            return row
        }
        let seconds = try median(iterations) { _ = try withNoGrad { try model.encodeText(tokens) } }
        return InferenceThroughput(batch: batch, tokens: count, medianSeconds: seconds)
    }

    /// Median seconds of `count` runs after two warm-up runs.
    static func median(_ count: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        try body()
        var times: [Double] = []
        for _ in 0..<max(count, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }
}
