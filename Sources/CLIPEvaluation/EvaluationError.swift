import Foundation

/// Errors from reading datasets and caches. Each names the file and, where it helps, the line.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case unreadableDataset(path: String, reason: String)
    case malformedTable(path: String, line: Int, reason: String)
    case missingColumn(path: String, column: String, found: [String])
    case unknownLabel(path: String, line: Int, label: String)
    case emptyDataset(path: String, reason: String)
    case cache(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadableDataset(path, reason): return "\(path): \(reason)"
        case let .malformedTable(path, line, reason): return "\(path):\(line): \(reason)"
        case let .missingColumn(path, column, found):
            return "\(path): no column '\(column)' (columns: \(found.joined(separator: ", ")))"
        case let .unknownLabel(path, line, label): return "\(path):\(line): label '\(label)' is not one of the classes"
        case let .emptyDataset(path, reason): return "\(path): \(reason)"
        case let .cache(path, reason): return "\(path): \(reason)"
        }
    }
}
