import CGEMMKernels
import CLIPFileSystem
import Foundation

/// Writes tensors to the safetensors format, atomically.
///
/// ```swift
/// try SafeTensorsWriter.write(["weight": w, "bias": b], to: "model.safetensors")
/// ```
public enum SafeTensorsWriter {
    /// One tensor to write.
    public enum Entry {
        /// f32 values stored as F32, F16 or BF16.
        case values(Tensor, as: SafeTensorsDType)
        /// Little-endian bytes already in `dtype`, of `shape`.
        case bytes(Data, dtype: SafeTensorsDType, shape: [Int])
    }

    /// Writes `tensors` (sorted by name, contiguous, header padded to 8 bytes as the reference
    /// writer does) with every element stored as `dtype` (F32, F16 or BF16).
    ///
    /// The file appears at `path` only once complete: bytes go to a temporary file beside it, which
    /// is flushed to disk and then renamed over the destination.
    public static func write(_ tensors: [String: Tensor], as dtype: SafeTensorsDType = .float32,
                             metadata: [String: String] = [:], to path: String) throws {
        try write(entries: tensors.mapValues { .values($0, as: dtype) }, metadata: metadata, to: path)
    }

    /// Writes `entries`, each in its own type, as `write(_:as:metadata:to:)` does.
    public static func write(entries: [String: Entry], metadata: [String: String] = [:], to path: String) throws {
        if entries.keys.contains("__metadata__") {
            throw TensorError.invalidArgument(reason: "'__metadata__' cannot be a tensor name")
        }
        let names = entries.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for name in names {
            let (dtype, shape, length): (SafeTensorsDType, [Int], Int)
            switch entries[name]! {
            case .values(let tensor, let type):
                guard [.float32, .float16, .bfloat16].contains(type) else {
                    throw TensorError.invalidArgument(reason: "safetensors writer stores values as F32, F16 or BF16, not \(type.rawValue)")
                }
                (dtype, shape, length) = (type, tensor.shape, tensor.count * type.byteSize)
            case .bytes(let data, let type, let dimensions):
                guard data.count == Shape.count(dimensions) * type.byteSize else {
                    throw TensorError.invalidArgument(reason: "\(name): \(data.count) bytes for \(type.rawValue) \(dimensions)")
                }
                (dtype, shape, length) = (type, dimensions, data.count)
            }
            header[name] = ["dtype": dtype.rawValue, "shape": shape, "data_offsets": [offset, offset + length]]
            offset += length
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let padding = (8 - headerBytes.count % 8) % 8
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: padding))

        try AtomicFile.write(to: path) { output in
            var length = UInt64(headerBytes.count).littleEndian
            try output.write(contentsOf: Data(bytes: &length, count: 8))
            try output.write(contentsOf: headerBytes)
            for name in names {
                switch entries[name]! {
                case .values(let tensor, let type): try output.write(contentsOf: encode(tensor, as: type))
                case .bytes(let data, _, _): try output.write(contentsOf: data)
                }
            }
        }
    }

    private static func encode(_ tensor: Tensor, as dtype: SafeTensorsDType) -> Data {
        tensor.withUnsafeBufferPointer { values in
            switch dtype {
            case .float16:
                var halves = values.map { HalfPrecision.half(from: $0).littleEndian }
                return Data(bytes: &halves, count: halves.count * 2)
            case .bfloat16:
                var halves = [UInt16](repeating: 0, count: values.count)
                if let base = values.baseAddress { clip_bf16_from_f32(base, &halves, values.count) }
                return Data(bytes: halves.map(\.littleEndian), count: halves.count * 2)
            default:
                return Data(buffer: values)
            }
        }
    }
}

/// Writes a file so that it either appears complete or not at all.
public enum AtomicFile {
    /// Calls `body` with a handle to a temporary file beside `path`, flushes it to disk, then renames
    /// it onto `path`. On any error the temporary file is removed and `path` is left untouched.
    /// Staging files in the same folder whose writer was killed are removed first.
    public static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        AbandonedFiles.removeAbandoned(in: url.deletingLastPathComponent())
        let temporary = directory + "/" + AbandonedFiles.stagingName(for: url.lastPathComponent, suffix: "-\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw TensorError.writeFailed(path: path, reason: "cannot create a temporary file in \(directory)")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            do {
                try body(handle)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            guard rename(temporary, path) == 0 else {
                throw TensorError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as TensorError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw TensorError.writeFailed(path: path, reason: FailureReason.of(error))
        }
    }

}
