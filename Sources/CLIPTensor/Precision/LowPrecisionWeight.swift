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
    /// What keeps borrowed `values` valid (a memory-mapped file); nil when this weight allocated them.
    private let owner: AnyObject?

    /// Converts an `[out, in]` f32 weight to `precision` (bf16 or int8).
    public init(converting weight: Tensor, to precision: ComputePrecision) {
        precondition(weight.rank == 2, "low-precision weight must be [out, in], got \(Shape.describe(weight.shape))")
        precondition(precision != .f32, "an f32 weight needs no conversion")
        (self.precision, rows, depth, source, owner) = (precision, weight.shape[0], weight.shape[1], weight, nil)
        (values, scales) = Self.convert(weight, to: precision)
    }

    /// A weight stored in low precision, used where it lies: `values` holds `rows × depth` bfloat16
    /// bits or int8 values (with `scales` for int8) and stays valid while `owner` lives. `source` is
    /// the `[rows, depth]` f32 tensor that stands for it in the model (usually deferred, computed from
    /// these values only if something reads it).
    public init(borrowing values: UnsafeRawPointer, precision: ComputePrecision, scales: [Float],
                standingFor source: Tensor, owner: AnyObject) {
        precondition(source.rank == 2 && precision != .f32, "a stored low-precision weight is bf16 or int8 [out, in]")
        precondition(precision == .bf16 ? scales.isEmpty : scales.count == source.shape[0], "int8 needs one scale per row")
        (self.precision, rows, depth, self.source, self.owner) = (precision, source.shape[0], source.shape[1], source, owner)
        (self.values, self.scales) = (UnsafeMutableRawPointer(mutating: values), scales)
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

    deinit { if owner == nil { values.deallocate() } }

    private static func allocate(count: Int, elementSize: Int) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer.allocate(byteCount: max(count * elementSize, 1), alignment: 64)
    }

    /// Whether `weight` is the tensor this was converted from or stands for (the same memory, offset and shape).
    public func isConverted(from weight: Tensor) -> Bool {
        weight.storage === source.storage && weight.offset == source.offset && weight.shape == source.shape
    }

    /// The stored values as little-endian bytes: `rows × depth` bfloat16 bit patterns or int8 values.
    public var bytes: Data {
        let count = rows * depth
        guard precision == .bf16 else { return Data(bytes: values, count: count) }
        #if _endian(little)
        return Data(bytes: values, count: count * 2)
        #else
        let halves = values.assumingMemoryBound(to: UInt16.self)
        return Data((0..<count).flatMap { withUnsafeBytes(of: halves[$0].littleEndian, Array.init) })
        #endif
    }

    /// The weight as f32 (`[rows, depth]`): bf16 widened, int8 values times their row's scale.
    public func dequantized() -> Tensor {
        let out = Tensor.uninitialized([rows, depth])
        withExtendedLifetime(out) {
            Self.widen(values, precision: precision, scales: scales, rows: rows, depth: depth, into: out.pointer)
        }
        return out
    }

    /// Writes the f32 form of `rows × depth` stored values into `target`: bf16 bits widened, int8
    /// values times their row's scale. In parallel over rows.
    static func widen(_ values: UnsafeRawPointer, precision: ComputePrecision, scales: [Float], rows: Int, depth: Int,
                      into target: UnsafeMutablePointer<Float>) {
        let (source, output) = (UncheckedSendable(values), UncheckedSendable(target))
        Parallel.forEachChunk(rows, grain: max(1, elementwiseGrain / max(depth, 1))) { range in
            let first = range.lowerBound * depth
            if precision == .bf16 {
                clip_f32_from_bf16(source.value.assumingMemoryBound(to: UInt16.self) + first, output.value + first, range.count * depth)
                return
            }
            let int8 = source.value.assumingMemoryBound(to: Int8.self)
            for row in range {
                let scale = scales[row]
                for column in 0..<depth { output.value[row * depth + column] = Float(int8[row * depth + column]) * scale }
            }
        }
    }
}
