import CLIPFileSystem
import Foundation

/// A safetensors file opened for reading, memory-mapped.
///
/// Opening validates the whole header: every entry's dtype, shape and byte range, and that no two
/// tensors overlap. Any defect throws a `TensorError` that names the file and the tensor.
///
/// ```swift
/// let file = try SafeTensorsFile(path: "open_clip_model.safetensors")
/// let weight = try file.tensor("visual.conv1.weight")   // F16/BF16 upcast to Float32
/// ```
///
/// Float32 tensors whose bytes are 4-byte aligned borrow the mapped pages (no copy); the mapping
/// lives as long as any such tensor.
public final class SafeTensorsFile: @unchecked Sendable {
    /// One tensor's header entry.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name.
        public let name: String
        /// Its stored element type.
        public let dtype: SafeTensorsDType
        /// Its shape.
        public let shape: [Int]
        /// Byte range within the data section (after the header).
        public let byteRange: Range<Int>
    }

    /// Largest header accepted (the reference implementation's limit).
    public static let maximumHeaderLength = 100_000_000

    /// The file.
    public let path: String
    /// The free-form `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Entries by tensor name.
    public let entries: [String: Entry]
    private let file: MappedFile
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Opens and validates `path`.
    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    private init(file: MappedFile) throws {
        let path = file.path
        self.file = file
        self.path = path
        guard file.size >= 8, let bytes = file.bytes else { throw TensorError.fileTooShort(path: path, size: file.size) }
        let headerLength = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(file.size - 8) else {
            throw TensorError.headerLengthBeyondFile(path: path, headerLength: headerLength, fileSize: file.size)
        }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw TensorError.headerTooLarge(path: path, headerLength: Int(headerLength), limit: Self.maximumHeaderLength)
        }
        dataStart = 8 + Int(headerLength)
        let headerData = Data(bytes: bytes + 8, count: Int(headerLength))
        let parsed = try Self.parseHeader(headerData, path: path, dataLength: file.size - dataStart)
        metadata = parsed.metadata
        entries = parsed.entries
    }

    /// The header entry of `name`.
    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw TensorError.tensorNotFound(path: path, tensor: name) }
        return entry
    }

    /// Calls `body` with the raw little-endian bytes of `name` (for quantized and half-precision
    /// paths that keep the stored dtype). The pointer is valid only inside `body`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let bytes = try rawBytes(name)
        return try withExtendedLifetime(file) { try body(bytes) }
    }

    /// The stored bytes of `name`, valid while this file lives.
    func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let entry = try entry(name)
        return UnsafeRawBufferPointer(start: file.bytes.map { $0 + dataStart + entry.byteRange.lowerBound },
                                      count: entry.byteRange.count)
    }

    /// The tensor `name` as Float32.
    ///
    /// - Parameter upcast: convert F16, BF16 and F64 to Float32 (the default). With `false` only F32
    ///   tensors are returned and any other dtype throws `unsupportedConversion`.
    public func tensor(_ name: String, upcast: Bool = true) throws -> Tensor {
        let entry = try entry(name)
        let count = Shape.count(entry.shape)
        let source = try rawBytes(name)
        switch entry.dtype {
        case .float32:
            if let base = source.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                let floats = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: Float.self)
                return Tensor(storage: TensorStorage(borrowing: floats, count: count, owner: file), shape: entry.shape)
            }
            return converted(source, count: count, shape: entry.shape) { $0.loadUnaligned(fromByteOffset: $1 * 4, as: Float.self) }
        case .float16 where upcast:
            return converted(source, count: count, shape: entry.shape) {
                HalfPrecision.float(fromHalf: $0.loadUnaligned(fromByteOffset: $1 * 2, as: UInt16.self))
            }
        case .bfloat16 where upcast:
            return converted(source, count: count, shape: entry.shape) {
                HalfPrecision.float(fromBFloat16: $0.loadUnaligned(fromByteOffset: $1 * 2, as: UInt16.self))
            }
        case .float64 where upcast:
            return converted(source, count: count, shape: entry.shape) {
                Float($0.loadUnaligned(fromByteOffset: $1 * 8, as: Double.self))
            }
        default:
            throw TensorError.unsupportedConversion(path: path, tensor: name, dtype: entry.dtype.rawValue)
        }
    }

    /// The tensor `name` as integers (I64, I32, I16, I8, U8, BOOL), e.g. position ids.
    public func integers(_ name: String) throws -> [Int] {
        let entry = try entry(name)
        let source = try rawBytes(name)
        let count = Shape.count(entry.shape)
        switch entry.dtype {
        case .int64: return (0..<count).map { Int(source.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .int32: return (0..<count).map { Int(source.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .int16: return (0..<count).map { Int(source.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        case .int8: return (0..<count).map { Int(source.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint8, .bool: return (0..<count).map { Int(source.load(fromByteOffset: $0, as: UInt8.self)) }
        default: throw TensorError.unsupportedConversion(path: path, tensor: name, dtype: entry.dtype.rawValue)
        }
    }

    private func converted(_ source: UnsafeRawBufferPointer, count: Int, shape: [Int],
                           _ element: @escaping (UnsafeRawBufferPointer, Int) -> Float) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let target = out.pointer
        Parallel.forEachChunk(count, grain: elementwiseGrain) { range in
            for i in range { target[i] = element(source, i) }
        }
        // The converted copy is what the model keeps; the file's pages need not stay resident too.
        if let base = source.baseAddress { file.releasePages(base, byteCount: source.count) }
        return out
    }

    // MARK: - Header validation

    private static func parseHeader(_ data: Data, path: String, dataLength: Int)
        throws -> (metadata: [String: String], entries: [String: Entry]) {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TensorError.invalidHeader(path: path, reason: FailureReason.of(error))
        }
        guard let object = json as? [String: Any] else {
            throw TensorError.invalidHeader(path: path, reason: "top level is not a JSON object")
        }
        let names = JSONObjectKeys.topLevel(of: data)
        if names.count != object.count {
            var seen = Set<String>()
            let repeated = names.first { !seen.insert($0).inserted } ?? "?"
            throw TensorError.invalidHeader(path: path, reason: "the name '\(repeated)' appears more than once")
        }
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any], let strings = map as? [String: String] else {
                    throw TensorError.invalidHeader(path: path, reason: "__metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            entries[name] = try parseEntry(name: name, value: value, path: path, dataLength: dataLength)
        }
        // Overlap check: sort by start; each tensor must begin at or after the previous end.
        let ordered = entries.values.filter { !$0.byteRange.isEmpty }
            .sorted { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw TensorError.overlappingTensors(path: path, first: previous.name, second: next.name)
        }
        return (metadata, entries)
    }

    private static func parseEntry(name: String, value: Any, path: String, dataLength: Int) throws -> Entry {
        func fail(_ reason: String) -> TensorError { .invalidTensorEntry(path: path, tensor: name, reason: reason) }
        guard let fields = value as? [String: Any] else { throw fail("entry is not a JSON object") }
        guard let dtypeName = fields["dtype"] as? String else { throw fail("missing or non-string 'dtype'") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw TensorError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = fields["shape"] as? [Any] else { throw fail("missing or non-array 'shape'") }
        let shape = try shapeValues.map { item -> Int in
            guard let size = exactInteger(item), size >= 0 else { throw fail("shape \(shapeValues) has a non-integer or negative size") }
            return size
        }
        guard let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2,
              let begin = exactInteger(offsetValues[0]), let end = exactInteger(offsetValues[1]) else {
            throw fail("'data_offsets' must be two integers")
        }
        guard begin >= 0, begin <= end else {
            throw TensorError.invalidOffsets(path: path, tensor: name, begin: begin, end: end)
        }
        guard end <= dataLength else {
            throw TensorError.truncatedData(path: path, tensor: name, end: end, available: dataLength)
        }
        var expected = dtype.byteSize
        for size in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("shape \(shape) is too large") }
            expected = product
        }
        guard expected == end - begin else {
            throw TensorError.byteCountMismatch(path: path, tensor: name, dtype: dtype.rawValue, shape: shape,
                                                expected: expected, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// An integral JSON number as Int (rejecting booleans, fractions and out-of-range values).
    private static func exactInteger(_ value: Any) -> Int? {
        // JSON booleans also arrive as NSNumber, with the Objective-C type code of char.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return number.intValue
    }
}
