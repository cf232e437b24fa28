import CLIPSearch
import Foundation

/// An index the server searches, under a name, with the served model whose vectors it holds.
public struct ServedIndex: Sendable {
    /// The name requests use (`index`, `indice_name`).
    public let name: String
    /// The index.
    public let index: ImageIndex
    /// The served model that encodes its queries.
    public let model: ServedModel
    /// The index's entry of that model.
    public let entry: IndexModel

    /// `index` under `name`, searched with `model`; an error naming both when the index holds no
    /// vectors of that model.
    public init(name: String, index: ImageIndex, model: ServedModel) throws {
        self.name = name
        self.index = index
        self.model = model
        entry = try index.model(for: model.loaded)
    }

    /// `path` as clients see it: relative to the longest indexed folder holding it, else its name.
    func relativePath(_ path: String, roots: [String]) -> String {
        let holding = roots.filter { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }.max { $0.count < $1.count }
        guard let root = holding else { return (path as NSString).lastPathComponent }
        return String(path.dropFirst(root.hasSuffix("/") ? root.count : root.count + 1))
    }
}
