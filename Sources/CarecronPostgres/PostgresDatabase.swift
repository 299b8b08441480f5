import CarecronConfig
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The shared database (issue 15): a pool of connections to PostgreSQL that runs for as long as
/// this value lives, with the schema migrated on open. Several nodes open it at once; the
/// migrations take an advisory lock, so only one applies each version.
public final class PostgresDatabase: Sendable {
    public let client: PostgresClient
    public let settings: PostgresSettings
    let logger: Logger
    private let running: Task<Void, Never>

    /// Connects (the password resolved from its reference by the caller) and migrates.
    public init(_ settings: PostgresSettings, password: String?, logger: Logger = Logger(label: "carecron.postgres")) async throws {
        var config: PostgresClient.Configuration
        if let socket = settings.socketPath {
            config = .init(unixSocketPath: socket, username: settings.user, password: password, database: settings.database)
        } else {
            config = .init(host: settings.host ?? "localhost", port: settings.port, username: settings.user, password: password,
                           database: settings.database, tls: settings.tls == .require ? .require(.makeClientConfiguration()) : .disable)
        }
        config.options.connectTimeout = .seconds(5)
        // One connection first, alone: the pool would retry an unreachable server for a minute
        // and then report only that it gave up; this says at once what is wrong (refused, no
        // such socket, the password, the database).
        try await Self.probe(settings, password: password, logger: logger)
        // The pool logs every failed reconnection at `info`, a line a second while the server is
        // away; the store's own errors say it once, in words. Debugging keeps the pool's lines.
        var background = logger
        if background.logLevel > .debug { background.logLevel = max(background.logLevel, .warning) }
        let client = PostgresClient(configuration: config, backgroundLogger: background)
        self.client = client
        self.settings = settings
        self.logger = logger
        running = Task { await client.run() }
        // The pool warns of any query asked of it before `run()` has begun on the task above;
        // a moment's wait keeps that warning out of every command's output.
        try? await Task.sleep(for: .milliseconds(5))
        do {
            try await PostgresMigrations.run(on: client, logger: logger)
        } catch {
            running.cancel()
            throw error
        }
    }

    static func probe(_ settings: PostgresSettings, password: String?, logger: Logger) async throws {
        var config: PostgresConnection.Configuration
        if let socket = settings.socketPath {
            config = .init(unixSocketPath: socket, username: settings.user, password: password, database: settings.database)
        } else {
            config = .init(host: settings.host ?? "localhost", port: settings.port, username: settings.user, password: password,
                           database: settings.database, tls: settings.tls == .require ? .require(try .init(configuration: .makeClientConfiguration())) : .disable)
        }
        config.options.connectTimeout = .seconds(5)
        let conn = try await PostgresConnection.connect(configuration: config, id: 0, logger: logger)
        try await conn.close()
    }

    /// Runs `body` in one transaction; an error of `body`'s own (an order's state rule, a bad
    /// field) is thrown as it is, not wrapped in the driver's transaction error.
    public func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { conn in try await body(conn) }
        } catch let e as PostgresTransactionError {
            if let own = e.closureError, e.rollbackError == nil { throw own }
            throw e
        }
    }

    /// Closes every connection.
    public func shutdown() async {
        closed.withLock { $0 = true }
        running.cancel()
        await running.value
    }

    /// Whether `shutdown` was called: the background work on it (lease renewal) ends then.
    public var isClosed: Bool { closed.withLock { $0 } }
    private let closed = Mutex(false)

    deinit { running.cancel() }
}
