/// Errors from reading or writing tensors. Every case names the file and, where there is one, the
/// tensor at fault.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, read or mapped.
    case unreadableFile(path: String, reason: String)
    /// The file is shorter than the 8-byte header length prefix.
    case fileTooShort(path: String, size: Int)
    /// The header length prefix points past the end of the file (or above the 100 MB limit).
    case headerLengthBeyondFile(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is not a JSON object of the expected form.
    case invalidHeader(path: String, reason: String)
    /// A tensor entry lacks a field or has one of the wrong type.
    case invalidTensorEntry(path: String, tensor: String, reason: String)
    /// A tensor entry names a dtype this reader does not know.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A tensor's offsets are inverted.
    case invalidOffsets(path: String, tensor: String, begin: Int, end: Int)
    /// A tensor's bytes reach past the end of the file: the file is truncated or its offsets are wrong.
    case truncatedData(path: String, tensor: String, end: Int, available: Int)
    /// Two tensors claim the same bytes.
    case overlappingTensors(path: String, first: String, second: String)
    /// dtype × shape does not match the byte range.
    case byteCountMismatch(path: String, tensor: String, dtype: String, shape: [Int], expected: Int, actual: Int)
    /// No tensor of that name exists in the file.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's dtype cannot become Float32 the way it was asked for.
    case unsupportedConversion(path: String, tensor: String, dtype: String)
    /// A tensor name or metadata cannot be written.
    case invalidArgument(reason: String)
    /// Writing the file failed; nothing was left at the destination.
    case writeFailed(path: String, reason: String)
    /// A PyTorch checkpoint's container (zip or legacy stream) is damaged or of an unknown kind.
    case malformedCheckpoint(path: String, reason: String)
    /// A checkpoint's pickle is damaged: `offset` is the byte in the pickle stream where reading stopped.
    case malformedPickle(path: String, offset: Int, reason: String)
    /// The safetensors header is longer than `SafeTensorsFile.maximumHeaderLength`.
    case headerTooLarge(path: String, headerLength: Int, limit: Int)
    /// The file is neither safetensors nor a PyTorch checkpoint.
    case unrecognizedFormat(path: String)
    /// A pickle asks for a Python global outside the few that rebuild tensors and plain containers.
    /// Nothing is ever executed; the file is refused.
    case forbiddenPickleGlobal(path: String, global: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file: \(reason)"
        case let .fileTooShort(path, size):
            return "\(path): file is \(size) bytes, too short for a safetensors header (truncated?)"
        case let .headerLengthBeyondFile(path, headerLength, fileSize):
            return "\(path): header length \(headerLength) goes beyond the file size \(fileSize) (truncated or not safetensors)"
        case let .invalidHeader(path, reason):
            return "\(path): invalid safetensors header: \(reason)"
        case let .invalidTensorEntry(path, tensor, reason):
            return "\(path): tensor '\(tensor)': \(reason)"
        case let .unknownDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .invalidOffsets(path, tensor, begin, end):
            return "\(path): tensor '\(tensor)' has invalid data offsets [\(begin), \(end))"
        case let .truncatedData(path, tensor, end, available):
            return "\(path): tensor '\(tensor)' ends at byte \(end) of the data section but only \(available) bytes are present (truncated file?)"
        case let .overlappingTensors(path, first, second):
            return "\(path): tensors '\(first)' and '\(second)' overlap"
        case let .byteCountMismatch(path, tensor, dtype, shape, expected, actual):
            return "\(path): tensor '\(tensor)' is \(dtype) \(Shape.describe(shape)), which needs \(expected) bytes, but its offsets span \(actual)"
        case let .tensorNotFound(path, tensor):
            return "\(path): no tensor named '\(tensor)'"
        case let .unsupportedConversion(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' is \(dtype) and cannot be read as Float32 here"
        case let .invalidArgument(reason):
            return reason
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        case let .malformedCheckpoint(path, reason):
            return "\(path): not a readable PyTorch checkpoint: \(reason)"
        case let .malformedPickle(path, offset, reason):
            return "\(path): damaged pickle at byte \(offset): \(reason)"
        case let .headerTooLarge(path, headerLength, limit):
            return "\(path): the safetensors header is \(headerLength) bytes, more than the limit of \(limit)"
        case let .unrecognizedFormat(path):
            return "\(path): not a weights file: neither safetensors nor a PyTorch checkpoint (zip archive or pickle)"
        case let .forbiddenPickleGlobal(path, global):
            return "\(path): refused: the pickle asks for '\(global)', which is not a tensor or a plain container (swift-clip never runs code from checkpoints)"
        }
    }
}
