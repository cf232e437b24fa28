import CGEMMKernels
import Foundation

/// A linear layer's `[out, in]` weight, copied once into the panel layout of the packed few-row
/// kernels (CGEMMKernels), so products with few rows skip the per-call packing BLAS does.
///
/// Packing releases the resident pages of a memory-mapped original, so the copy costs no memory
/// for weights read from an f32 safetensors file.
///
/// On x86-64 with AVX-512, ViT-B/32's layers at batch 1 (50 rows) ran 1.1–1.4× faster one-threaded
/// than oneDNN's sgemm this way, and 10-row text products about 3× faster (`make bench`).
final class PackedWeight: @unchecked Sendable {
    let rows: Int      // the weight's out features: the product's columns
    let depth: Int     // the weight's in features
    let panels: UnsafeMutablePointer<Float>
    private let allocatedBytes: Int
    /// The weight this was packed from: its storage, offset and shape identify it.
    private let source: Tensor

    init(_ weight: Tensor) {
        precondition(weight.rank == 2, "packed weight must be [out, in], got \(Shape.describe(weight.shape))")
        (rows, depth) = (weight.shape[0], weight.shape[1])
        let count = Int(clip_packed_b_count(rows, depth))
        let (raw, size) = BufferPool.shared.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
        panels = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        allocatedBytes = size
        source = weight
        withExtendedLifetime(weight) {
            let (rows, depth, panels, from) = (rows, depth, panels, UncheckedSendable(weight.pointer))
            let panelCount = (rows + Int(CLIP_PANEL_COLUMNS) - 1) / Int(CLIP_PANEL_COLUMNS)
            Parallel.forEachChunk(panelCount, grain: 8) { range in
                let first = range.lowerBound * Int(CLIP_PANEL_COLUMNS)
                let last = min(rows, range.upperBound * Int(CLIP_PANEL_COLUMNS))
                clip_pack_b(last - first, depth, from.value + first * depth, depth, panels + first * depth)
            }
            // Inference now reads the packed copy only; a memory-mapped original need not stay resident.
            weight.storage.releaseFileBackedPages(offset: weight.offset, count: weight.count)
        }
    }

    deinit { BufferPool.shared.deallocate(UnsafeMutableRawPointer(panels), size: allocatedBytes) }

    /// Whether `weight` is the tensor this was packed from (the same memory, offset and shape).
    func isPacked(from weight: Tensor) -> Bool {
        weight.storage === source.storage && weight.offset == source.offset && weight.shape == source.shape
    }
}

extension GEMM {
    /// Whether this CPU has the packed few-row kernels, and `CLIP_PACKED_GEMM=0` does not turn them off.
    static let packedKernelsAvailable: Bool =
        clip_packed_gemm_available() == 1 && getenv("CLIP_PACKED_GEMM").map({ String(cString: $0) }) != "0"

    /// Products with at most this many rows use a packed weight when one is given. Beyond it oneDNN
    /// is faster (128 rows: about half the packed kernel's time), because it blocks the rows too.
    static let packedRowLimit = 96

    /// `C[m, n] = A[m, k] · Wᵀ + beta · C` for a packed `[n, k]` weight W, on every compute thread:
    /// A is packed once, then the weight's panels are split over the threads.
    static func multiply(m: Int, a: UnsafePointer<Float>, packed weight: PackedWeight, beta: Float,
                         c: UnsafeMutablePointer<Float>) {
        let (n, k) = (weight.rows, weight.depth)
        guard m > 0, n > 0 else { return }
        let scratch = Tensor.uninitialized([m * k])
        withExtendedLifetime(scratch) {
            clip_pack_a(m, k, a, k, scratch.pointer)
            let (packedA, panels, output) = (UncheckedSendable(UnsafePointer(scratch.pointer)), weight.panels, UncheckedSendable(c))
            let panelCount = (n + Int(CLIP_PANEL_COLUMNS) - 1) / Int(CLIP_PANEL_COLUMNS)
            let grain = max(1, parallelWork / max(1, m * k * Int(CLIP_PANEL_COLUMNS)))
            Parallel.forEachChunk(panelCount, grain: grain) { range in
                clip_packed_gemm(m, n, k, packedA.value, panels, range.lowerBound, range.upperBound, beta, output.value, n)
            }
        }
    }
}

/// A per-layer cache of its weight in the form inference uses: packed for the few-row f32 kernels,
/// or converted to bf16 or int8 when the layer computes in that precision.
///
/// `linear(_:weight:bias:addingTo:packing:)` fills it on first use and refreshes it when the layer's
/// weight is replaced. Weights that require gradients are never packed or converted: an optimizer
/// changes them in place, which the cache could not see.
public final class PackedWeightCache: @unchecked Sendable {
    private let lock = NSLock()
    private var packed: PackedWeight?
    private var converted: LowPrecisionWeight?
    private var stored: LowPrecisionWeight?
    private var chosenPrecision = ComputePrecision.f32

    /// An empty cache computing in f32; the first product packs the weight.
    public init() {}

    /// The precision of this layer's inference products (f32 until set). Setting another drops
    /// what the cache holds.
    public var precision: ComputePrecision {
        get {
            lock.lock()
            defer { lock.unlock() }
            return chosenPrecision
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            guard newValue != chosenPrecision else { return }
            (chosenPrecision, packed, converted) = (newValue, nil, nil)
        }
    }

    /// The packed form of `weight`, packing it if needed; nil where packing does not apply (a
    /// precision other than f32 among others).
    func packedWeight(for weight: Tensor) -> PackedWeight? {
        guard GEMM.packedKernelsAvailable, !weight.requiresGrad, weight.rank == 2 else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard chosenPrecision == .f32 else { return nil }
        if let packed, packed.isPacked(from: weight) { return packed }
        let fresh = PackedWeight(weight)
        packed = fresh
        return fresh
    }

    /// `weight` in this cache's bf16 or int8 precision, converting it if needed; nil in f32 or for a
    /// weight that requires gradients.
    public func lowPrecisionWeight(for weight: Tensor) -> LowPrecisionWeight? {
        guard !weight.requiresGrad, weight.rank == 2 else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard chosenPrecision != .f32 else { return nil }
        if let stored, stored.precision == chosenPrecision, stored.isConverted(from: weight) { return stored }
        if let converted, converted.isConverted(from: weight) { return converted }
        let fresh = LowPrecisionWeight(converting: weight, to: chosenPrecision)
        converted = fresh
        return fresh
    }

    /// Gives the cache the weight as a checkpoint stored it in bf16 or int8: products in that precision
    /// use it as it is (no conversion, no f32 copy), for as long as the layer's weight is `weight.source`.
    public func useStored(_ weight: LowPrecisionWeight) {
        lock.lock()
        stored = weight
        lock.unlock()
    }

    /// The bf16 or int8 weight a checkpoint stored for this layer, if any.
    public var storedWeight: LowPrecisionWeight? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    /// Whether the cache holds a packed or converted weight.
    public var isFilled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return packed != nil || converted != nil
    }

    /// Drops the packed or converted copy (its memory returns to the pool).
    public func clear() {
        lock.lock()
        (packed, converted) = (nil, nil)
        lock.unlock()
    }
}
