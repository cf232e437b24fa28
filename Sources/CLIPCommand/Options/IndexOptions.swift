import ArgumentParser
import CLIPModel
import CLIPSearch
import Foundation

extension VectorElement: ExpressibleByArgument {}
extension ImageIndex.GraphPolicy: ExpressibleByArgument {}

/// `--index` or `--store`: the index the search commands work on.
struct IndexLocationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The index folder (default $CLIP_INDEX, else the index in swift-clip's cache folder: $CLIP_CACHE_DIR/index, $XDG_CACHE_HOME/swift-clip/index or ~/.cache/swift-clip/index).", valueName: "dir"))
    var index: String?

    @Option(help: ArgumentHelp("Keep the index in PostgreSQL with pgvector instead of a folder: postgresql://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full&schema=name] (default $CLIP_INDEX_STORE). A folder works too.", valueName: "url"))
    var store: String?

    func validate() throws {
        if index != nil && store != nil { throw ValidationError("give --index (a folder) or --store (a postgresql:// URL), not both") }
    }

    /// Where the index is: --store, --index, $CLIP_INDEX_STORE, $CLIP_INDEX, or the cache folder's index.
    var location: String {
        let environment = ProcessInfo.processInfo.environment
        if let store { return store }
        if let index { return URL(fileURLWithPath: index).path }
        if let store = environment["CLIP_INDEX_STORE"], !store.isEmpty { return store }
        if let path = environment["CLIP_INDEX"], !path.isEmpty { return URL(fileURLWithPath: path).path }
        return CacheOptions.defaultDirectory.appendingPathComponent("index").path
    }

    /// The option that names this index again in a hint (`--index DIR`, `--store URL` without its password), or "".
    var hintOption: String {
        if let index { return " --index \(index)" }
        if store != nil, let location = try? PostgresLocation(location) { return " --store '\(location)'" }
        return ""
    }

    /// Opens the index; `mustExist` refuses a folder that holds none (a search of a mistyped path).
    func open(mustExist: Bool) throws -> ImageIndex {
        let location = location
        if PostgresLocation.isPostgresURL(location) { return try ImageIndex.open(location: location) }
        let folder = URL(fileURLWithPath: location)
        if mustExist, !FileManager.default.fileExists(atPath: folder.appendingPathComponent(EmbeddedIndexStore.catalogueName).path) {
            throw CommandError("\(folder.path): no index here yet; build one with `clip index --model MODEL --index \(folder.path) FOLDER`")
        }
        return try ImageIndex(directory: folder)
    }
}

/// `--model` and `--arch` for the commands that read an index: optional, since the index names the
/// model it was built with.
struct IndexModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The model whose vectors to use (any model reference); by default the one the index holds.", valueName: "ref"))
    var model: String?

    @Option(help: ArgumentHelp("For a bare state-dict file: a preset name or an open_clip config JSON.", valueName: "arch"))
    var arch: String?

    @OptionGroup var precision: PrecisionOptions

    /// The model to use with `index` and its catalogue entry: `--model` if given (it must be indexed),
    /// else the index's only model, loaded from the reference it was indexed with.
    func resolve(in index: ImageIndex) throws -> (loaded: LoadedModel, entry: IndexModel) {
        if let model {
            let loaded = try loadModel(model, architecture: arch)
            try precision.apply(to: loaded.model)
            return (loaded, try index.model(fingerprint: index.fingerprint(of: loaded), described: model))
        }
        let entry = try Self.onlyModel(of: index)
        let loaded = try loadModel(entry.reference, architecture: arch)
        guard try index.fingerprint(of: loaded) == entry.fingerprint else {
            throw CommandError("\(entry.reference) is not the model this index was built with any more (its weights or settings changed); index again with `clip index --model \(entry.reference) …`, or pass --model")
        }
        try precision.apply(to: loaded.model)
        return (loaded, entry)
    }

    /// The index's only model, or an error: none yet, or several (then --model must choose).
    static func onlyModel(of index: ImageIndex) throws -> IndexModel {
        let models = try index.models()
        guard let entry = models.first else {
            throw CommandError("\(index.location): the index holds no images yet; run `clip index --model MODEL FOLDER` first")
        }
        guard models.count == 1 else {
            throw ValidationError("the index holds vectors of several models (\(models.map(\.reference).joined(separator: ", "))); choose one with --model")
        }
        return entry
    }
}
