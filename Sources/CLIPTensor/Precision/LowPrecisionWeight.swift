import CGEMMKernels
import Foundation

/// A linear layer's `[out, in]` weight in bf16 or int8, made once for inference.
///
/// bf16 keeps each weight rounded to the nearest bfloat16 (as torch's `.to(torch.bfloat16)`); int8
/// keeps symmetric int8 values per output channel (row) with one f32 scale per row
/// (`scale = max|w| / 127`). Converting releases the resident pages of a memory-mapped f32
/// original, so a model read from an f32 safetensors file keeps only the smaller copy in memory.
public final class LowPrecisionWeight: @unchecked Sendable {
    /// bf16 or int8.
    public let precision: ComputePrecision
    /// The weight's out features (the product's columns).
    public let rows: Int
    /// The weight's in features.
    public let depth: Int
    /// `rows × depth` elements: `UInt16` bfloat16 bits or `Int8` values.
    let values: UnsafeMutableRawPointer
    /// int8 only: one scale per row (empty for bf16).
    public let scales: [Float]
    private let source: Tensor

    /// Converts an `[out, in]` f32 weight to `precision` (bf16 or int8).
    public init(converting weight: Tensor, to precision: ComputePrecision) {
        precondition(weight.rank == 2, "low-precision weight must be [out, in], got \(Shape.describe(weight.shape))")
        precondition(precision != .f32, "an f32 weight needs no conversion")
        (self.precision, rows, depth, source) = (precision, weight.shape[0], weight.shape[1], weight)
        (values, scales) = Self.convert(weight, to: precision)
    }

    private static func convert(_ weight: Tensor, to precision: ComputePrecision) -> (UnsafeMutableRawPointer, [Float]) {
        let (rows, depth) = (weight.shape[0], weight.shape[1])
        let values = allocate(count: rows * depth, elementSize: precision == .bf16 ? 2 : 1)
        var scales = [Float](repeating: 1, count: rows)
        withExtendedLifetime(weight) {
            let (from, to) = (UncheckedSendable(UnsafePointer(weight.pointer)), UncheckedSendable(values))
            scales.withUnsafeMutableBufferPointer { scaleBuffer in
                let scaleSlots = UncheckedSendable(scaleBuffer.baseAddress!)
                Parallel.forEachChunk(rows, grain: max(1, elementwiseGrain / max(depth, 1))) { range in
                    let first = from.value + range.lowerBound * depth, count = range.count * depth
                    if precision == .bf16 {
                        clip_bf16_from_f32(first, to.value.assumingMemoryBound(to: UInt16.self) + range.lowerBound * depth, count)
                    } else {
                        clip_quantize_rows_s8(first, range.count, depth, depth,
                                              to.value.assumingMemoryBound(to: Int8.self) + range.lowerBound * depth,
                                              scaleSlots.value + range.lowerBound)
                    }
                }
            }
            weight.storage.releaseFileBackedPages(offset: weight.offset, count: weight.count)
        }
        return (values, precision == .int8 ? scales : [])
    }

    deinit { values.deallocate() }

    private static func allocate(count: Int, elementSize: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer.allocate(byteCount: max(count * elementSize, 1), alignment: 64)
    }

    /// Whether `weight` is the tensor this was converted from (the same memory, offset and shape).
    func isConverted(from weight: Tensor) -> Bool {
        weight.storage === source.storage && weight.offset == source.offset && weight.shape == source.shape
    }

    /// The weight as f32 (`[rows, depth]`): bf16 widened, int8 values times their row's scale.
    public func dequantized() -> Tensor {
        let out = Tensor.uninitialized([rows, depth])
        withExtendedLifetime(out) {
            if precision == .bf16 {
                clip_f32_from_bf16(values.assumingMemoryBound(to: UInt16.self), out.pointer, rows * depth)
            } else {
                let int8 = values.assumingMemoryBound(to: Int8.self)
                for row in 0..<rows {
                    for column in 0..<depth { out.pointer[row * depth + column] = Float(int8[row * depth + column]) * scales[row] }
                }
            }
        }
        return out
    }
}
