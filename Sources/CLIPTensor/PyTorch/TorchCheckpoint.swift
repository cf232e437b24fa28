import Foundation

/// A PyTorch checkpoint read without Python: a `torch.save` file (zip format, or the legacy format
/// before PyTorch 1.6) holding a state dict, possibly nested under `state_dict` or `model` as
/// training checkpoints keep it, or a TorchScript archive (`torch.jit.save`, as OpenAI published
/// CLIP), whose module tree is flattened into state-dict names.
///
/// The file is memory-mapped; float32 tensors stored contiguously and aligned are used in place,
/// others (F16, BF16, F64, strided) are converted to Float32 when asked for. Pickles go through
/// `Unpickler`, which refuses every Python global beyond tensors and plain containers.
public final class TorchCheckpoint: TensorArchive, @unchecked Sendable {
    /// How the checkpoint was written.
    public enum Format: String, Sendable {
        case zip, legacy
        case torchScript = "torchscript"
    }

    /// The checkpoint file.
    public let path: String
    /// Its container format.
    public let format: Format
    /// Every tensor name, as state-dict keys.
    public let names: [String]
    private let file: MappedFile
    private let tensors: [String: TorchTensorReference]
    private let storages: [String: StorageBytes]

    /// Where a storage's bytes are: a range of the mapped file, or an inflated copy.
    private enum StorageBytes {
        case mapped(offset: Int, byteCount: Int)
        case inflated(Data)
    }

    /// The first bytes of the legacy format: the magic number pickled as a Python int.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// Reads the checkpoint's structure; tensors are materialised on request.
    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let parsed: (format: Format, root: PickleValue, storages: [String: StorageBytes])
        if ZipArchive.hasZipSignature(file) {
            parsed = try Self.readZip(file)
        } else if file.size > 0, file.bytes?.load(as: UInt8.self) == 0x80 {
            parsed = try Self.readLegacy(file)
        } else {
            throw TensorError.malformedCheckpoint(path: path, reason: "neither a zip archive nor a pickle stream")
        }
        format = parsed.format
        storages = parsed.storages
        var found: [String: TorchTensorReference] = [:]
        try Self.collectTensors(parsed.root, format: parsed.format, path: path, into: &found)
        tensors = found
        names = found.keys.sorted()
    }

    /// The shape of `name`, if stored.
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    /// The stored element type of `name` (`F32`, `F16`, …), if stored.
    public func storedType(of name: String) -> String? { tensors[name]?.storage.dtype.rawValue }

    /// The tensor `name` as Float32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let reference = tensors[name] else { throw TensorError.tensorNotFound(path: path, tensor: name) }
        let storage = reference.storage
        let elementSize = storage.dtype.byteSize
        guard let location = storages[storage.key] else {
            throw TensorError.malformedCheckpoint(path: path, reason: "tensor '\(name)' refers to storage '\(storage.key)', which the file lacks")
        }
        // Sizes, strides and offsets come from the pickle: all arithmetic on them is checked, and the
        // last element the strides reach must lie inside the storage.
        guard reference.shape.count == reference.strides.count, reference.offset >= 0 else {
            throw invalid(name, "\(reference.shape.count) sizes for \(reference.strides.count) strides, or a negative offset")
        }
        var count = 1, overflow = false
        var (last, addOverflow) = storage.viewOffset.addingReportingOverflow(reference.offset)
        overflow = overflow || addOverflow
        for (size, stride) in zip(reference.shape, reference.strides) {
            guard size >= 0, stride >= 0 else { throw invalid(name, "negative size or stride") }
            let (product, productOverflow) = count.multipliedReportingOverflow(by: size)
            count = product
            overflow = overflow || productOverflow
            if size > 0 {
                let (reach, reachOverflow) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, sumOverflow) = last.addingReportingOverflow(reach)
                last = sum
                overflow = overflow || reachOverflow || sumOverflow
            }
        }
        guard !overflow else { throw invalid(name, "its sizes and strides overflow") }
        let available: Int
        switch location {
        case let .mapped(_, byteCount): available = byteCount / elementSize
        case let .inflated(data): available = data.count / elementSize
        }
        guard count == 0 || last < min(available, storage.count + storage.viewOffset) else {
            throw TensorError.truncatedData(path: path, tensor: name, end: last.multipliedReportingOverflow(by: elementSize).partialValue,
                                            available: available * elementSize)
        }
        // A view with more elements than its storage (a stride-0 expansion) could claim any size.
        guard count <= available else {
            throw invalid(name, "a view of \(count) elements over a storage of \(available) (expanded tensors are not supported)")
        }
        let first = storage.viewOffset + reference.offset
        let contiguous = Self.isContiguous(reference)
        switch location {
        case let .mapped(offset, byteCount):
            guard let base = file.bytes else { throw invalid(name, "empty file") }
            let start = base + offset + first * elementSize
            if storage.dtype == .float32, contiguous, Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
                let floats = start.assumingMemoryBound(to: Float.self)
                return Tensor(storage: TensorStorage(borrowing: floats, count: count, owner: file), shape: reference.shape)
            }
            let tensor = try converted(UnsafeRawPointer(base + offset), reference, name: name)
            file.releasePages(base + offset, byteCount: byteCount)
            return tensor
        case let .inflated(data):
            return try data.withUnsafeBytes { try converted($0.baseAddress!, reference, name: name) }
        }
    }

    /// Copies a strided tensor of any supported dtype out of its storage's bytes into Float32.
    private func converted(_ storageBase: UnsafeRawPointer, _ reference: TorchTensorReference, name: String) throws -> Tensor {
        let dtype = reference.storage.dtype
        let read: (Int) -> Float
        switch dtype {
        case .float32: read = { storageBase.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        case .float16: read = { HalfPrecision.float(fromHalf: storageBase.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .bfloat16: read = { HalfPrecision.float(fromBFloat16: storageBase.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        case .float64: read = { Float(storageBase.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
        case .int64: read = { Float(storageBase.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .int32: read = { Float(storageBase.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .int16: read = { Float(storageBase.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) }
        case .int8: read = { Float(storageBase.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint8, .bool: read = { Float(storageBase.load(fromByteOffset: $0, as: UInt8.self)) }
        default: throw TensorError.unsupportedConversion(path: path, tensor: name, dtype: dtype.rawValue)
        }
        let out = Tensor.uninitialized(reference.shape)
        let target = out.pointer
        let first = reference.storage.viewOffset + reference.offset
        let shape = reference.shape, strides = reference.strides
        let count = out.count
        guard count > 0 else { return out }
        if Self.isContiguous(reference) {
            Parallel.forEachChunk(count, grain: elementwiseGrain) { range in
                for i in range { target[i] = read(first + i) }
            }
            return out
        }
        // Strided: walk the output in order with a running multi-index.
        var index = [Int](repeating: 0, count: shape.count)
        var source = first
        for i in 0..<count {
            target[i] = read(source)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += strides[axis]
                if index[axis] < shape[axis] { break }
                source -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// Row-major and dense; axes of size 1 may have any stride, as in PyTorch.
    private static func isContiguous(_ reference: TorchTensorReference) -> Bool {
        var expected = 1
        for (size, stride) in zip(reference.shape, reference.strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected = expected.multipliedReportingOverflow(by: size).partialValue   // sizes were checked in `tensor(_:)`
        }
        return true
    }

    private func invalid(_ name: String, _ reason: String) -> TensorError {
        .invalidTensorEntry(path: path, tensor: name, reason: reason)
    }

    // MARK: - Containers

    /// `torch.save` zip files and TorchScript archives: `<name>/data.pkl` plus `<name>/data/<key>`.
    private static func readZip(_ file: MappedFile) throws -> (Format, PickleValue, [String: StorageBytes]) {
        let archive = try ZipArchive(file: file)
        guard let pickleName = archive.entries.keys.filter({ $0.hasSuffix("data.pkl") && $0.split(separator: "/").count <= 2 })
                .min(by: { $0.count < $1.count }), let pickle = archive.entries[pickleName] else {
            throw TensorError.malformedCheckpoint(path: file.path, reason: "the zip archive has no data.pkl: not a PyTorch checkpoint")
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))
        let isTorchScript = archive.entries[prefix + "constants.pkl"] != nil
            || archive.entries.keys.contains { $0.hasPrefix(prefix + "code/") }
        if let order = archive.entries[prefix + "byteorder"], let text = String(data: try archive.contents(order), encoding: .utf8),
           text.trimmingCharacters(in: .whitespacesAndNewlines) != "little" {
            throw TensorError.malformedCheckpoint(path: file.path, reason: "stored big-endian, which is not supported")
        }
        var referenced: [String: TorchStorageReference] = [:]
        let data = try archive.contents(pickle)
        let root = try data.withUnsafeBytes { bytes -> PickleValue in
            var unpickler = Unpickler(bytes: bytes, path: file.path) { id in
                let storage = try storageReference(id, path: file.path)
                referenced[storage.key] = storage
                return .storage(storage)
            }
            return try unpickler.load()
        }
        var storages: [String: StorageBytes] = [:]
        for (key, storage) in referenced {
            guard let entry = archive.entries[prefix + "data/" + key] else {
                throw TensorError.malformedCheckpoint(path: file.path, reason: "storage '\(key)' is referenced but the archive has no \(prefix)data/\(key) (truncated?)")
            }
            let needed = storage.count * storage.dtype.byteSize
            guard entry.uncompressedSize >= needed else {
                throw TensorError.truncatedData(path: file.path, tensor: "storage \(key)", end: needed, available: entry.uncompressedSize)
            }
            if let bytes = try archive.storedBytes(entry) {
                storages[key] = .mapped(offset: bytes.baseAddress.map { $0 - UnsafeRawPointer(file.bytes!) } ?? 0, byteCount: bytes.count)
            } else {
                storages[key] = .inflated(try archive.contents(entry))
            }
        }
        return (isTorchScript ? .torchScript : .zip, root, storages)
    }

    /// The legacy format: pickles of the magic number, the protocol version, system information and
    /// the object, then the list of storage keys, then each storage as an 8-byte count and its bytes.
    private static func readLegacy(_ file: MappedFile) throws -> (Format, PickleValue, [String: StorageBytes]) {
        let path = file.path
        let bytes = UnsafeRawBufferPointer(start: file.bytes, count: file.size)
        var referenced: [String: TorchStorageReference] = [:]
        var unpickler = Unpickler(bytes: bytes, path: path) { id in
            let storage = try storageReference(id, path: path)
            referenced[storage.key] = storage
            return .storage(storage)
        }
        guard case let .bigInteger(magic) = try unpickler.load(), magic == legacyMagic else {
            throw TensorError.malformedCheckpoint(path: path, reason: "a pickle, but not a torch.save file (no magic number)")
        }
        guard case let .int(version) = try unpickler.load(), version == 1001 else {
            throw TensorError.malformedCheckpoint(path: path, reason: "unknown legacy protocol version")
        }
        if case let .dict(info) = try unpickler.load(), case let .bool(little)? = info["little_endian"], !little {
            throw TensorError.malformedCheckpoint(path: path, reason: "stored big-endian, which is not supported")
        }
        let root = try unpickler.load()
        guard let keys = try unpickler.load().sequence?.map(\.stringValue), !keys.contains(nil) else {
            throw TensorError.malformedCheckpoint(path: path, reason: "the storage key list is damaged")
        }
        var position = unpickler.offset
        var storages: [String: StorageBytes] = [:]
        for key in keys.map({ $0! }) {
            guard let storage = referenced[key] else {
                throw TensorError.malformedCheckpoint(path: path, reason: "storage '\(key)' is listed but never referenced")
            }
            guard position + 8 <= file.size else {
                throw TensorError.truncatedData(path: path, tensor: "storage \(key)", end: position + 8, available: file.size)
            }
            let count = Int(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian)
            // The count is read from the file: every product and sum on it is checked.
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: storage.dtype.byteSize)
            guard count >= 0, !overflow, count >= storage.count, byteCount <= file.size - position - 8 else {
                throw TensorError.truncatedData(path: path, tensor: "storage \(key)", end: overflow || count < 0 ? Int.max : position + 8 + byteCount,
                                                available: file.size)
            }
            storages[key] = .mapped(offset: position + 8, byteCount: byteCount)
            position += 8 + byteCount
        }
        return (.legacy, root, storages)
    }

    /// A persistent id: ("storage", storage type, key, location, element count[, view metadata]).
    private static func storageReference(_ id: PickleValue, path: String) throws -> TorchStorageReference {
        guard let fields = id.sequence, fields.count >= 5, fields[0].stringValue == "storage",
              case let .global(.storageType(dtype)) = fields[1], let key = fields[2].stringValue,
              let count = fields[4].intValue, count >= 0 else {
            throw TensorError.malformedCheckpoint(path: path, reason: "a persistent id that is not a tensor storage")
        }
        var storage = TorchStorageReference(key: key, dtype: dtype, count: count)
        if fields.count > 5, let view = fields[5].sequence, view.count >= 3,
           let viewKey = view[0].stringValue, let offset = view[1].intValue, let size = view[2].intValue, offset >= 0, size >= 0 {
            // Old files may refer to a slice of another storage: (view key, offset, size).
            storage = TorchStorageReference(key: key, dtype: dtype, count: size, viewOffset: offset)
            _ = viewKey
        }
        return storage
    }

    // MARK: - State dicts

    /// The tensors of the checkpoint, named as in its state dict.
    private static func collectTensors(_ root: PickleValue, format: Format, path: String,
                                       into tensors: inout [String: TorchTensorReference]) throws {
        switch root {
        case let .object(module):
            collectModuleTensors(module, prefix: "", into: &tensors)
        case let .dict(dict):
            // Training checkpoints keep the weights under "state_dict" (open_clip) or "model".
            var stateDict = dict
            for key in ["state_dict", "model"] {
                if case let .dict(nested)? = dict[key], nested.entries.contains(where: { if case .tensor = $0.value { true } else { false } }) {
                    stateDict = nested
                    break
                }
            }
            for (key, value) in stateDict.entries {
                if let name = key.stringValue, case let .tensor(tensor) = value { tensors[name] = tensor }
            }
            // Weights saved from DistributedDataParallel carry a "module." prefix on every name.
            if !tensors.isEmpty, tensors.keys.allSatisfy({ $0.hasPrefix("module.") }) {
                tensors = Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst("module.".count)), $0.value) })
            }
        default:
            throw TensorError.malformedCheckpoint(path: path, reason: "holds a \(root.kind), not a state dict")
        }
        guard !tensors.isEmpty else {
            throw TensorError.malformedCheckpoint(path: path, reason: "holds no tensors (expected a state dict, or one under 'state_dict' or 'model')")
        }
    }

    /// A TorchScript module's tensors (parameters and buffers) and its submodules', dotted.
    private static func collectModuleTensors(_ module: PickleObject, prefix: String,
                                             into tensors: inout [String: TorchTensorReference]) {
        guard case let .dict(attributes) = module.state else { return }
        for (key, value) in attributes.entries {
            guard let name = key.stringValue else { continue }
            switch value {
            case let .tensor(tensor): tensors[prefix + name] = tensor
            case let .object(child): collectModuleTensors(child, prefix: prefix + name + ".", into: &tensors)
            default: continue
            }
        }
    }
}
