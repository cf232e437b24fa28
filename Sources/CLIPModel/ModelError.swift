import CLIPNN
import CLIPTensor

/// Errors from configuring, loading or running a CLIP model. Each names the file, key or value.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The path is neither a model directory of a known layout nor a `.safetensors` file.
    case unrecognizedModel(path: String, reason: String)
    /// A configuration file is missing, malformed or names an option this port does not support.
    case invalidConfiguration(path: String, reason: String)
    /// No built-in preset has this name.
    case unknownArchitecture(String, known: [String])
    /// The architecture could not be inferred from the tensors.
    case cannotInferArchitecture(path: String, reason: String)
    /// The weights do not fit the architecture (missing, unused or mis-shaped tensor).
    case weightMismatch(path: String, ModuleError)
    /// Reading the weights failed.
    case unreadableWeights(TensorError)
    /// A token id the model's embedding does not have.
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    /// A token sequence longer than the model's context.
    case sequenceTooLong(length: Int, contextLength: Int)
    /// Images of a size the model was not built for.
    case imageSizeMismatch(expected: Int, found: [Int])
    /// Writing a model directory failed; nothing was left at the destination.
    case exportFailed(path: String, reason: String)
    /// An image file that could not be read or decoded.
    case unreadableImage(path: String, reason: String)
    /// A model directory without the tokenizer file its family needs.
    case missingTokenizer(path: String, expected: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .unrecognizedModel(path, reason): return "\(path): not a CLIP model: \(reason)"
        case let .invalidConfiguration(path, reason): return "\(path): \(reason)"
        case let .unknownArchitecture(name, known): return "unknown architecture '\(name)'; known: \(known.joined(separator: ", "))"
        case let .cannotInferArchitecture(path, reason): return "\(path): cannot infer the architecture: \(reason)"
        case let .weightMismatch(path, error): return "\(path): \(error)"
        case let .unreadableWeights(error): return error.description
        case let .tokenOutOfRange(id, size): return "token id \(id) is outside the model's vocabulary of \(size)"
        case let .sequenceTooLong(length, context): return "\(length) tokens exceed the model's context length \(context)"
        case let .exportFailed(path, reason): return "\(path): cannot write the model: \(reason)"
        case let .unreadableImage(path, reason): return "\(path): \(reason)"
        case let .missingTokenizer(path, expected): return "\(path): no tokenizer: expected \(expected)"
        case let .imageSizeMismatch(expected, found):
            return "images of shape [\(found.map(String.init).joined(separator: ", "))] do not fit a model for \(expected)×\(expected) input"
        }
    }
}
