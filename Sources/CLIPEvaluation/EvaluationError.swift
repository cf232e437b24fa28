import Foundation

/// Errors from reading datasets and caches. Each names the file and, where it helps, the line.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case unreadableDataset(path: String, reason: String)
    case unknownLabel(path: String, line: Int, label: String)
    case emptyDataset(path: String, reason: String)
    case cache(path: String, reason: String)
    /// An argument outside what the computation accepts.
    case invalidArgument(String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .unreadableDataset(path, reason): return "\(path): \(reason)"
        case let .unknownLabel(path, line, label): return "\(path):\(line): label '\(label)' is not one of the classes"
        case let .emptyDataset(path, reason): return "\(path): \(reason)"
        case let .cache(path, reason): return "\(path): \(reason)"
        case let .invalidArgument(reason): return reason
        }
    }
}
