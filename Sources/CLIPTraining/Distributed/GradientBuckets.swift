import CLIPNN
import CLIPTensor
import Foundation

/// Sums the gradients of every rank's trainable parameters, in buckets of about `bucketBytes` (as
/// PyTorch's DistributedDataParallel, whose default is 25 MiB): each bucket's gradients are copied into
/// one buffer, all-reduced and copied back, so a model of hundreds of small tensors costs a few large
/// messages instead of hundreds of small ones. Every rank must list the same parameters in the same
/// order, which they do: they build the same model with the same options.
struct GradientBuckets {
    let communicator: any Communicator
    /// Bytes per bucket.
    var bucketBytes = 25 << 20

    /// Replaces every gradient by its sum over the ranks. A parameter without a gradient on this rank
    /// has none on any (the graphs are alike) and is left out.
    func allReduce(_ parameters: [Parameter]) throws {
        guard communicator.size > 1 else { return }
        // The ranks meet first, so that the time of the all-reduce itself (traffic's "allReduce") is
        // told apart from waiting for the slowest rank's backward pass ("barrier"): one latency more.
        try communicator.barrier()
        let gradients = parameters.compactMap(\.wrappedValue.grad)
        let capacity = bucketBytes / MemoryLayout<Float>.stride
        var buffer = [Float](repeating: 0, count: min(capacity, gradients.reduce(0) { $0 + $1.count }))
        var start = 0
        while start < gradients.count {
            var end = start, filled = 0
            // A gradient larger than a bucket travels alone, in place.
            if gradients[start].count >= capacity {
                try gradients[start].withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
                start += 1
                continue
            }
            while end < gradients.count, filled + gradients[end].count <= capacity {
                let offset = filled
                gradients[end].withUnsafeBufferPointer { source in
                    buffer.withUnsafeMutableBufferPointer { ($0.baseAddress! + offset).update(from: source.baseAddress!, count: source.count) }
                }
                filled += gradients[end].count
                end += 1
            }
            try buffer.withUnsafeMutableBufferPointer { try communicator.allReduceSum(UnsafeMutableBufferPointer(rebasing: $0[0..<filled])) }
            filled = 0
            for gradient in gradients[start..<end] {
                let offset = filled
                gradient.withUnsafeMutableBufferPointer { target in
                    buffer.withUnsafeBufferPointer { target.baseAddress!.update(from: $0.baseAddress! + offset, count: target.count) }
                }
                filled += gradient.count
            }
            start = end
        }
    }
}
