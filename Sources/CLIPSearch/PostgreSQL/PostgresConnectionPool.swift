import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Up to `capacity` connections to one PostgreSQL database, lent to one caller at a time, for
/// callers that block: the store's methods are synchronous (an update runs in a loop of its own,
/// a server's handler waits for its query), so the connections run on an event loop of the pool's
/// own, never one a caller may be running on.
///
/// A connection the server or network closed is dropped, and the next caller gets a new one.
final class PostgresConnectionPool: @unchecked Sendable {
    let location: PostgresLocation
    let capacity: Int
    private let group: MultiThreadedEventLoopGroup
    private let logger = Logger.quiet("clip.postgres")
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var closed = false
    private var nextID = 0
    /// Runs on every new connection before it is lent (the session's search path).
    private let setup: @Sendable (PostgresConnection) throws -> Void

    /// How long connecting to the server may take.
    static let connectTimeoutSeconds: Int64 = 10

    init(location: PostgresLocation, capacity: Int, setup: @escaping @Sendable (PostgresConnection) throws -> Void) {
        self.location = location
        self.capacity = max(1, capacity)
        self.setup = setup
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit {
        close()
    }

    /// Closes every connection and stops the pool's event loop; later calls fail.
    func close() {
        let connections: [PostgresConnection] = condition.withLock {
            closed = true
            defer { idle.removeAll() }
            condition.broadcast()
            return idle
        }
        // Closed before the event loop stops: a connection must finish closing on its loop.
        for connection in connections { try? connection.close().wait() }
        group.shutdownGracefully { _ in }
    }

    /// Runs `body` with a connection of the pool, waiting while all are lent. Errors are
    /// `SearchError.store` naming `action` (and the location, never the password).
    func withConnection<T>(_ action: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try describingErrors(action) { try checkOut() }
        var healthy = true
        defer { checkIn(connection, healthy: healthy && !connection.isClosed) }
        do {
            return try describingErrors(action) { try body(connection) }
        } catch {
            healthy = false
            throw error
        }
    }

    /// Runs `body` in a transaction, committed if it returns and rolled back if it throws. A
    /// deadlock or serialisation failure (writers on other machines touching the same rows in
    /// another order) runs it again, up to `transactionAttempts` times.
    func transaction<T>(_ action: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withConnection(action) { connection in
                    try connection.execute("BEGIN")
                    do {
                        let result = try body(connection)
                        try connection.execute("COMMIT")
                        return result
                    } catch {
                        if !connection.isClosed { try? connection.execute("ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as SearchError where attempt < Self.transactionAttempts && Self.isRetryable(error) {
                attempt += 1
            }
        }
    }

    /// How often a transaction that lost a deadlock is tried.
    static let transactionAttempts = 4

    private static func isRetryable(_ error: SearchError) -> Bool {
        guard case let .store(_, reason) = error else { return false }
        return reason.contains("[40P01]") || reason.contains("[40001]")
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw SearchError.store(location: location.description, reason: "the connection pool is closed")
            }
            if let connection = idle.popLast() {
                // The server may have closed it while it sat here (a restart, an administrator).
                if connection.isClosed {
                    opened -= 1
                    continue
                }
                condition.unlock()
                return connection
            }
            if opened < capacity { break }
            condition.wait()
        }
        opened += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            var configuration = try location.connectionConfiguration()
            configuration.options.connectTimeout = .seconds(Self.connectTimeoutSeconds)
            let connection = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger).wait()
            do {
                try setup(connection)
            } catch {
                try? connection.close().wait()
                throw error
            }
            return connection
        } catch {
            condition.withLock {
                opened -= 1
                condition.signal()
            }
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        let keep = condition.withLock {
            let keep = healthy && !closed
            if keep { idle.append(connection) } else { opened -= 1 }
            condition.signal()
            return keep
        }
        if !keep { try? connection.close().wait() }
    }

    /// `body`, with PostgreSQL's and the connection's errors turned into `SearchError.store` naming
    /// `action`, the location (without its password) and, for the server's errors, the SQLSTATE.
    func describingErrors<R>(_ action: String, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SearchError {
            throw error
        } catch let error as PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " [\($0)]" } ?? ""
                throw SearchError.store(location: location.description, reason: "\(action): \(message)\(state)")
            }
            throw SearchError.store(location: location.description, reason: "\(action): \(Self.describe(error.code))")
        } catch is ConnectionLost {
            throw SearchError.store(location: location.description, reason: "\(action): the connection to the server was lost")
        } catch {
            throw SearchError.store(location: location.description, reason: "\(action): \(error)")
        }
    }

    private static func describe(_ code: PSQLError.Code) -> String {
        switch code {
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return "the connection to the server was lost"
        case .connectionError:
            return "cannot connect to the server"
        case .sslUnsupported:
            return "the server does not offer TLS, which the location's sslmode requires"
        default:
            return "\(code)"
        }
    }
}

/// A query's connection closed before it was answered.
struct ConnectionLost: Error {}

extension PostgresConnection {
    /// Runs `query` and returns its rows, waiting for them.
    @discardableResult
    func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
        try waitWhileOpen(self.query(query, logger: Self.quietLogger)).rows
    }

    /// Runs `query` for its effect; returns how many rows it touched.
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        try waitWhileOpen(self.query(query, logger: Self.quietLogger)).metadata.rows ?? 0
    }

    /// The result of `future`, or `ConnectionLost` once the connection has been
    /// closed for `lostConnectionGrace` without an answer: a query written just as the connection
    /// closed is never answered, and must not hang its caller.
    private func waitWhileOpen<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let answered = DispatchSemaphore(value: 0)
        future.whenComplete { _ in answered.signal() }
        var closedSince: DispatchTime?
        while answered.wait(timeout: .now() + Self.lostConnectionGrace) == .timedOut {
            guard isClosed else { continue }
            if let closedSince, DispatchTime.now().uptimeNanoseconds - closedSince.uptimeNanoseconds >= Self.lostConnectionGraceNanoseconds {
                throw ConnectionLost()
            }
            closedSince = closedSince ?? .now()
        }
        return try future.wait()
    }

    private static let lostConnectionGrace = DispatchTimeInterval.milliseconds(500)
    private static let lostConnectionGraceNanoseconds: UInt64 = 500_000_000

    private static let quietLogger = Logger.quiet("clip.postgres.query")
}

extension Logger {
    /// A logger that tells only what stops the program: the store reports failures as errors, and
    /// postgres-nio's own messages would only repeat them on standard error.
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }
}
