import CLIPFileSystem
import Foundation

/// A file of named tensors that a model loads from: a safetensors file or a PyTorch checkpoint.
public protocol TensorArchive: AnyObject, Sendable {
    /// The file, for error messages.
    var path: String { get }
    /// Every tensor name, sorted.
    var names: [String] { get }
    /// The shape of tensor `name`, or nil if there is none.
    func shape(of name: String) -> [Int]?
    /// The element type on disk in safetensors' spelling ("F32", "F16", "BF16", "I64", …), or nil.
    func storedType(of name: String) -> String?
    /// Tensor `name` as Float32 (floating types are upcast; float32 data is shared where possible).
    func tensor(_ name: String) throws -> Tensor
    /// `name` as a weight stored in bf16 or int8 and read as it is, or nil (see `StoredLowPrecisionWeight`).
    func storedLowPrecisionWeight(_ name: String) throws -> StoredLowPrecisionWeight?
    /// Whether `name` holds the per-row scales of an int8 weight (part of that weight, not a tensor of its own).
    func isInt8Scale(_ name: String) -> Bool
}

extension TensorArchive {
    /// Nil: only safetensors files store weights in low precision.
    public func storedLowPrecisionWeight(_ name: String) throws -> StoredLowPrecisionWeight? { nil }
    /// False: only safetensors files store int8 weights.
    public func isInt8Scale(_ name: String) -> Bool { false }
}

/// Opens a weights file by its contents: safetensors, or a PyTorch checkpoint (`torch.save` zip or
/// legacy format, or a TorchScript archive); a `….index.json` file opens the shards it lists.
public func openTensorArchive(path: String) throws -> TensorArchive {
    if path.hasSuffix(".index.json") { return try ShardedTensorArchive(indexPath: path) }
    switch try WeightsFileFormat.detect(path: path) {
    case .torchCheckpoint: return try TorchCheckpoint(path: path)
    case .safeTensors: return try SafeTensorsFile(path: path)
    case nil: throw TensorError.unrecognizedFormat(path: path)
    }
}

/// What a weights file holds, from its first bytes; the name counts only for a file too damaged to
/// tell, so that a broken `.safetensors` file gets safetensors' own explanation.
enum WeightsFileFormat {
    case safeTensors, torchCheckpoint

    /// A zip archive (`torch.save`) or a pickle stream (legacy `torch.save`) is a PyTorch
    /// checkpoint; a header length and then `{` is safetensors. The length's first byte can be
    /// 0x80 like a pickle's, so the `{` is checked before the pickle opcode.
    static func detect(path: String) throws -> WeightsFileFormat? {
        if let kind = SpecialFiles.kind(of: path) {
            throw TensorError.unreadableFile(path: path, reason: "\(kind), not a regular file")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw TensorError.unreadableFile(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 9)
        let count = read(descriptor, &buffer, 9)
        let head = Array(buffer.prefix(max(count, 0)))
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .torchCheckpoint }
        if head.count == 9, head[8] == UInt8(ascii: "{") { return .safeTensors }
        // PROTO opcode and a protocol number pickle knows.
        if head.count >= 2, head[0] == 0x80, (1...5).contains(head[1]) { return .torchCheckpoint }
        return path.hasSuffix(".safetensors") ? .safeTensors : nil
    }
}

extension SafeTensorsFile: TensorArchive {
    /// The shape of `name`, if stored.
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
    /// The stored element type of `name` (`F32`, `F16`, …), if stored.
    public func storedType(of name: String) -> String? { entries[name]?.dtype.rawValue }
    /// The tensor `name` as Float32.
    public func tensor(_ name: String) throws -> Tensor { try tensor(name, upcast: true) }
    /// Whether `name` holds the scales of an int8 weight stored here.
    public func isInt8Scale(_ name: String) -> Bool { StoredLowPrecisionWeight.isScale(name, in: self) }
}
