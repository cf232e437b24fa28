import Foundation

/// Errors from setting up or running training. Each names the file, option or value.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case invalidData(source: String, reason: String)
    case invalidOption(String)
    case checkpoint(path: String, reason: String)
    case diverged(step: Int, loss: Float)
    /// A collective operation between the ranks of a distributed run failed.
    case communication(operation: String, reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .invalidData(source, reason): return "\(source): \(reason)"
        case let .invalidOption(reason): return reason
        case let .checkpoint(path, reason): return "\(path): \(reason)"
        case let .diverged(step, loss): return "training diverged at step \(step): loss \(loss)"
        case let .communication(operation, reason): return "\(operation) failed: \(reason)"
        }
    }
}
