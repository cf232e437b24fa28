import CLIPFileSystem
import Foundation

/// A checkpoint split over several files by an index (`model.safetensors.index.json`,
/// `pytorch_model.bin.index.json`): `{"weight_map": {"tensor name": "shard file name", …}}`, the shard
/// names relative to the index's folder. Each shard is opened with `openTensorArchive`.
public final class ShardedTensorArchive: TensorArchive, @unchecked Sendable {
    /// The `*.index.json` file.
    public let path: String
    /// Every tensor name, over all shards.
    public let names: [String]
    private let shardOf: [String: TensorArchive]

    /// Opens the index and every shard it names.
    public init(indexPath: String) throws {
        path = indexPath
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: indexPath)) } catch {
            throw TensorError.unreadableFile(path: indexPath, reason: FailureReason.of(error))
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = root["weight_map"] as? [String: Any], !map.isEmpty else {
            throw TensorError.malformedCheckpoint(path: indexPath, reason: "a shard index needs a non-empty \"weight_map\" object")
        }
        let folder = URL(fileURLWithPath: indexPath).deletingLastPathComponent()
        var shards: [String: TensorArchive] = [:]
        var shardOf: [String: TensorArchive] = [:]
        for (name, value) in map {
            guard let file = value as? String, !file.contains("/"), !file.hasPrefix(".") else {
                throw TensorError.malformedCheckpoint(path: indexPath, reason: "the shard of '\(name)' is not a file name beside the index")
            }
            let shard: TensorArchive
            if let opened = shards[file] {
                shard = opened
            } else {
                shard = try openTensorArchive(path: folder.appendingPathComponent(file).path)
                shards[file] = shard
            }
            guard shard.shape(of: name) != nil else { throw TensorError.tensorNotFound(path: shard.path, tensor: name) }
            shardOf[name] = shard
        }
        self.shardOf = shardOf
        names = shardOf.keys.sorted()
    }

    /// The shape of `name`, if stored.
    public func shape(of name: String) -> [Int]? { shardOf[name]?.shape(of: name) }
    /// The stored element type of `name` (`F32`, `F16`, …), if stored.
    public func storedType(of name: String) -> String? { shardOf[name]?.storedType(of: name) }
    /// The tensor `name` as Float32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let shard = shardOf[name] else { throw TensorError.tensorNotFound(path: path, tensor: name) }
        return try shard.tensor(name)
    }
    /// `name` as its shard stores it in bf16 or int8, or nil.
    public func storedLowPrecisionWeight(_ name: String) throws -> StoredLowPrecisionWeight? {
        try shardOf[name]?.storedLowPrecisionWeight(name)
    }
    /// Whether `name` holds an int8 weight's scales in its shard.
    public func isInt8Scale(_ name: String) -> Bool { shardOf[name]?.isInt8Scale(name) ?? false }
}
