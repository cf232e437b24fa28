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
}

/// Opens a weights file by its contents: safetensors, or a PyTorch checkpoint (`torch.save` zip or
/// legacy format, or a TorchScript archive); a `….index.json` file opens the shards it lists.
public func openTensorArchive(path: String) throws -> TensorArchive {
    if path.hasSuffix(".index.json") { return try ShardedTensorArchive(indexPath: path) }
    if try TorchCheckpoint.isTorchCheckpoint(path: path) { return try TorchCheckpoint(path: path) }
    return try SafeTensorsFile(path: path)
}

extension SafeTensorsFile: TensorArchive {
    /// The shape of `name`, if stored.
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
    /// The stored element type of `name` (`F32`, `F16`, …), if stored.
    public func storedType(of name: String) -> String? { entries[name]?.dtype.rawValue }
    /// The tensor `name` as Float32.
    public func tensor(_ name: String) throws -> Tensor { try tensor(name, upcast: true) }
}
