import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// A pool of connections to a PostgreSQL database with pgvector, the store of indexes that outgrow one
/// machine. Open it with `withDatabase(_:_:)`, which runs the pool for as long as the body does.
public final class PostgresVectorDatabase: Sendable {
    /// Where it is.
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger

    private init(location: PostgresLocation, client: PostgresClient, logger: Logger) {
        self.location = location
        self.client = client
        self.logger = logger
    }

    /// Runs `body` with a pool of connections to `location`, closing it afterwards.
    public static func withDatabase<Result: Sendable>(_ location: PostgresLocation,
                                                     _ body: @Sendable (PostgresVectorDatabase) async throws -> Result) async throws -> Result {
        let client = PostgresClient(configuration: location.clientConfiguration)
        let database = PostgresVectorDatabase(location: location, client: client, logger: Logger(label: "clip.postgres"))
        // The pool retries a server it cannot reach for as long as a query waits; one direct connection
        // first turns a wrong host, port, database or password into an error at once.
        try await database.run("connecting") { try await database.probe() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// Installs pgvector in the database if it is not there yet (`CREATE EXTENSION IF NOT EXISTS
    /// vector`) and returns its version; a server without pgvector gives `SearchError.store` saying so.
    public func pgvectorVersion() async throws -> String {
        try await run("installing pgvector") {
            try await client.query("CREATE EXTENSION IF NOT EXISTS vector", logger: logger)
            let rows = try await client.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'", logger: logger)
            for try await version in rows.decode(String.self) { return version }
            throw SearchError.store(location: location.description, reason: "the vector extension is not installed")
        }
    }

    /// Opens and closes one connection, within `connectTimeout`.
    private func probe() async throws {
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: location.password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(Int64(Self.connectTimeoutSeconds))
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        try await connection.close()
    }

    /// How long connecting to the server may take.
    static let connectTimeoutSeconds = 10

    /// `body`, with PostgreSQL's and the connection's errors turned into `SearchError.store` naming
    /// `action` and the location (without its password).
    func run<R>(_ action: String, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as SearchError {
            throw error
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            throw SearchError.store(location: location.description, reason: "\(action): \(message)")
        } catch {
            throw SearchError.store(location: location.description, reason: "\(action): \(error)")
        }
    }
}
