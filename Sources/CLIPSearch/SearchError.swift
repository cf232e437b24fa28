/// Errors from indexes and searches. Each names the file or setting at fault.
public enum SearchError: Error, Equatable, CustomStringConvertible {
    /// A vector file is not one, or is damaged.
    case invalidVectorFile(path: String, reason: String)
    /// An HNSW graph file is not one, or is damaged.
    case invalidGraphFile(path: String, reason: String)
    /// A vector file could not be read or written.
    case io(path: String, reason: String)
    /// Vectors or queries of the wrong width.
    case widthMismatch(expected: Int, actual: Int)
    /// A search setting is out of range.
    case invalidQuery(String)
    /// The SQLite catalogue could not be opened, read or written.
    case catalogue(path: String, reason: String)
    /// Another process is updating the index.
    case busy(index: String)
    /// The index holds no vectors of the model asked for; `held` describes those it does hold.
    case modelNotIndexed(model: String, held: [String], index: String)
    /// A store location (a `postgresql://` URL) that cannot be used; `location` is shown without its password.
    case invalidStore(location: String, reason: String)
    /// The PostgreSQL store failed (connection, authentication, a query); `location` has no password.
    case store(location: String, reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .invalidVectorFile(path, reason): return "\(path): not a usable vector file: \(reason)"
        case let .invalidGraphFile(path, reason): return "\(path): not a usable HNSW graph: \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .widthMismatch(expected, actual): return "vectors of width \(actual) where the index holds width \(expected)"
        case let .invalidQuery(reason): return reason
        case let .catalogue(path, reason): return "\(path): index catalogue: \(reason)"
        case let .busy(index): return "\(index): another process is updating this index; try again when it has finished"
        case let .invalidStore(location, reason): return "\(location): not a usable index store: \(reason)"
        case let .store(location, reason): return "\(location): \(reason)"
        case let .modelNotIndexed(model, held, index):
            let holds = held.isEmpty ? "no model yet" : held.joined(separator: ", ")
            return "\(index): this index has no vectors of \(model); it holds \(holds). Index with this model first (clip index --model …), or search with the model the index holds"
        }
    }
}
