import ArgumentParser
import CLIPModel
import CLIPSearch
import CLIPServer
import CLIPTensor
import Foundation
import Logging

/// `clip serve`: the HTTP service and web page.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve embeddings, zero-shot classification and index search over HTTP, with a web page at /.",
        discussion: """
        Routes: POST /v1/embeddings and GET /v1/models (OpenAI's shapes), POST /v1/classify, POST /v1/search, \
        clip-retrieval's GET /indices-list, POST /knn-service and POST /metadata, GET /images/{id} and /thumbnails/{id}, \
        GET /health, /info, /metrics (Prometheus) and /openapi.json. Requests from all connections are batched into one \
        forward pass per tower. SIGINT or SIGTERM stops it after the requests in flight.
        """)

    @Option(name: .customLong("model"), help: ArgumentHelp("A model to serve (repeatable; the first is the default). Without it, the models the indexes were built with.", valueName: "ref"))
    var models: [String] = []

    @Option(help: ArgumentHelp("For a bare state-dict file: a preset name or an open_clip config JSON.", valueName: "arch"))
    var arch: String?

    @OptionGroup var precision: PrecisionOptions

    @Option(name: .customLong("index"), help: ArgumentHelp("An index to search (repeatable), named after its folder, or NAME=DIR.", valueName: "dir"))
    var indexes: [String] = []

    @Option(name: .customLong("store"), help: ArgumentHelp("An index in PostgreSQL to search (repeatable): postgresql://… or NAME=postgresql://…, named after its database (or schema) by default; $CLIP_INDEX_STORE when neither --index nor --store is given.", valueName: "url"))
    var stores: [String] = []

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "The port (0: any free port, printed on start).")
    var port = 8080

    @Option(help: ArgumentHelp("Require `Authorization: Bearer KEY` on every route but /health and the page (default $CLIP_API_KEY).", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("Allow cross-origin requests from this origin (CORS is off without it).", valueName: "origin"))
    var corsOrigin: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Inputs per forward pass at most.", valueName: "n"))
    var maxBatch = 32

    @Option(parsing: .unconditional, help: ArgumentHelp("Milliseconds an input waits for others to fill its batch.", valueName: "ms"))
    var maxWait = 2.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Inputs waiting at most; beyond it requests get 503 with Retry-After.", valueName: "n"))
    var queueLimit = 1024

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a request may wait for its results before a 504.", valueName: "s"))
    var timeout = 30.0

    @Option(parsing: .unconditional, help: ArgumentHelp("Largest request body in megabytes (413 beyond).", valueName: "mb"))
    var maxBodyMb = 20

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        guard !models.isEmpty || !indexes.isEmpty || !stores.isEmpty || Self.environmentStore != nil else {
            throw ValidationError("give --model, --index or --store, or several")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0…65535, got \(port)") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        guard maxWait >= 0, maxWait.isFinite else { throw ValidationError("--max-wait must be ≥ 0 milliseconds") }
        guard queueLimit >= 1 else { throw ValidationError("--queue-limit must be at least 1") }
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be > 0 seconds") }
        guard (1...2_048).contains(maxBodyMb) else { throw ValidationError("--max-body-mb must be 1…2048") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "clip-serve")
        var limits = InferenceEngine.Limits()
        limits.maximumBatch = maxBatch
        limits.maximumWait = .microseconds(Int64(maxWait * 1000))
        limits.queueLimit = queueLimit
        limits.timeout = .milliseconds(Int64(timeout * 1000))

        var storeArguments = stores
        if indexes.isEmpty, stores.isEmpty, let store = Self.environmentStore { storeArguments = [store] }
        let opened = try indexes.map(Self.openIndex) + storeArguments.map(Self.openStore)
        guard Set(opened.map(\.0)).count == opened.count else {
            throw ValidationError("two indexes have the same name (\(opened.map(\.0).joined(separator: ", "))); name them with NAME=DIR")
        }
        var served: [ServedModel] = []
        func serve(_ reference: String) throws -> ServedModel {
            let loaded = try loadModel(reference, architecture: arch)
            try precision.apply(to: loaded.model)
            let model = ServedModel(id: Self.modelID(reference), reference: reference, engine: try InferenceEngine(loaded: loaded, limits: limits))
            guard !served.contains(where: { $0.id == model.id }) else { throw ValidationError("two models would both be called \(model.id)") }
            served.append(model)
            return model
        }
        for reference in models { _ = try serve(reference) }
        var servedIndexes: [ServedIndex] = []
        for (name, index) in opened {
            let fingerprints = Set(try index.models().map(\.fingerprint))
            var match = try served.first { fingerprints.contains(try index.fingerprint(of: $0.loaded)) }
            if match == nil {
                guard models.isEmpty else {
                    throw CommandError("\(index.location) holds no vectors of \(models.joined(separator: ", ")) (it holds \(try index.models().map(\.reference).joined(separator: ", ")))")
                }
                match = try serve(try IndexModelOptions.onlyModel(of: index).reference)
            }
            servedIndexes.append(try ServedIndex(name: name, index: index, model: match!))
        }

        var configuration = ServerConfiguration(thumbnailDirectory: CacheOptions.defaultDirectory.appendingPathComponent("thumbnails"))
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["CLIP_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.corsOrigin = corsOrigin
        configuration.limits.maximumBodyBytes = maxBodyMb << 20
        configuration.version = Diagnostics.version
        let service = CLIPService(models: served, indexes: servedIndexes, configuration: configuration)
        let host = self.host
        let names = "models: " + served.map(\.id).joined(separator: ", ")
            + (servedIndexes.isEmpty ? "" : "; indexes: " + servedIndexes.map(\.name).joined(separator: ", "))
        try await service.run(logger: logger) { port in
            StandardStreams.printDiagnostic("clip serve: listening on http://\(host):\(port) (\(names))")
        }
    }

    /// What requests call a model: a local path by its folder or file name, anything else as written.
    static func modelID(_ reference: String) -> String {
        FileManager.default.fileExists(atPath: reference) ? URL(fileURLWithPath: reference).standardizedFileURL.lastPathComponent : reference
    }

    /// `NAME=DIR` or `DIR` (named after its folder), opened; it must hold an index.
    static func openIndex(_ argument: String) throws -> (String, ImageIndex) {
        var name: String?, path = argument
        if let equals = argument.firstIndex(of: "="), !FileManager.default.fileExists(atPath: argument) {
            name = String(argument[..<equals])
            path = String(argument[argument.index(after: equals)...])
        }
        let folder = URL(fileURLWithPath: path).standardizedFileURL
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(EmbeddedIndexStore.catalogueName).path) else {
            throw CommandError("\(folder.path): no index here; build one with `clip index --model MODEL --index \(folder.path) FOLDER`")
        }
        return (name ?? folder.lastPathComponent, try ImageIndex(directory: folder))
    }

    /// $CLIP_INDEX_STORE, when set.
    static var environmentStore: String? {
        ProcessInfo.processInfo.environment["CLIP_INDEX_STORE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `NAME=URL` or `URL` (named after its schema, or its database in schema public), opened.
    static func openStore(_ argument: String) throws -> (String, ImageIndex) {
        var name: String?, url = argument
        if !PostgresLocation.isPostgresURL(argument), let equals = argument.firstIndex(of: "=") {
            name = String(argument[..<equals])
            url = String(argument[argument.index(after: equals)...])
        }
        let location = try PostgresLocation(url)
        let index = try ImageIndex.open(location: url)
        return (name ?? (location.schema == "public" ? location.database : location.schema), index)
    }
}
