import CLIPImage
import CLIPTensor
import Dispatch
import Foundation

/// Decodes and preprocesses image files concurrently into one channel-major buffer.
enum ImageBatch {
    /// `[N · 3 · S · S]` floats for `paths`, in order. The first failure is thrown, naming its file.
    static func preprocess(_ paths: [String], decoder: ImageDecoder, preprocessor: ImagePreprocessor) throws -> [Float] {
        let size = preprocessor.size
        let stride = 3 * size * size
        var pixels = [Float](repeating: 0, count: paths.count * stride)
        var failures = [Error?](repeating: nil, count: paths.count)
        pixels.withUnsafeMutableBufferPointer { buffer in
            failures.withUnsafeMutableBufferPointer { errors in
                let output = UncheckedSendable(buffer.baseAddress!), errorSlots = UncheckedSendable(errors.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: paths.count) { index in
                    do {
                        let values = preprocessor(try decoder.decode(contentsOf: paths[index]))
                        (output.value + index * stride).update(from: values, count: stride)
                    } catch {
                        (errorSlots.value + index).pointee = error
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return pixels
    }
}
