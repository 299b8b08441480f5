import CarecronConfig
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The shared database (issue 15): a pool of connections to PostgreSQL that runs for as long as
/// this value lives, with the schema migrated on open. Several nodes open it at once; the
/// migrations take an advisory lock, so only one applies each version.
public final class PostgresDatabase: Sendable {
    /// The pool queries go to now: a new one after an outage (see `PoolWatch`).
    public var client: PostgresClient { pools.withLock { $0.current.client } }
    public let settings: PostgresSettings
    let logger: Logger
    let configuration: PostgresClient.Configuration
    let password: String?
    let backgroundLogger: Logger
    private let pools: Mutex<Pools>
    private let watching = Mutex<Task<Void, Never>?>(nil)

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
        self.configuration = config
        self.password = password
        self.backgroundLogger = background
        self.settings = settings
        self.logger = logger
        let first = Pool(config, logger: background)
        pools = Mutex(Pools(current: first))
        // The pool warns of any query asked of it before `run()` has begun on its task;
        // a moment's wait keeps that warning out of every command's output.
        try? await Task.sleep(for: .milliseconds(5))
        do {
            try await PostgresMigrations.run(on: first.client, logger: logger)
        } catch {
            first.running.cancel()
            throw error
        }
    }

    /// A pool and the task that runs it.
    struct Pool: Sendable {
        let client: PostgresClient
        let running: Task<Void, Never>

        init(_ configuration: PostgresClient.Configuration, logger: Logger) {
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            self.client = client
            running = Task { await client.run() }
        }
    }

    /// The pool in use and those replaced, which finish what they hold before they close;
    /// whether `shutdown` began (nothing is renewed after it).
    struct Pools: Sendable {
        var current: Pool
        var retired: [Pool] = []
        var closed = false
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

    /// Replaces the pool with a fresh one. PostgresNIO's pool retries a server that went away
    /// with a backoff growing to a minute and offers no way to cut it short; after an outage a
    /// node waited 66 s (and once past 150 s) for its first query while the database answered.
    /// The old pool keeps its connections for what it is running, and closes after `grace`;
    /// until then no other renewal happens (a busy pool is not multiplied). False when none was.
    @discardableResult
    func renewPool(grace: Duration = .seconds(30)) -> Bool {
        let fresh = Pool(configuration, logger: backgroundLogger)
        let old: Pool? = pools.withLock { p in
            guard !p.closed, p.retired.isEmpty else { return nil }
            defer { p.retired.append(p.current); p.current = fresh }
            return p.current
        }
        guard let old else {
            fresh.running.cancel()
            return false
        }
        Task {
            try? await Task.sleep(for: grace)
            old.running.cancel()
            await old.running.value
            self.pools.withLock { p in p.retired.removeAll { $0.client === old.client } }
        }
        return true
    }

    func startWatching(_ task: Task<Void, Never>) {
        watching.withLock { old in
            old?.cancel()
            old = task
        }
    }

    /// Closes every connection.
    public func shutdown() async {
        watching.withLock { $0?.cancel() }
        let all = pools.withLock { p in
            p.closed = true
            return [p.current] + p.retired
        }
        for pool in all { pool.running.cancel() }
        for pool in all { await pool.running.value }
    }

    /// Whether `shutdown` was called: the background work on it (lease renewal) ends then.
    public var isClosed: Bool { pools.withLock { $0.closed } }

    deinit { pools.withLock { p in ([p.current] + p.retired).forEach { $0.running.cancel() } } }
}
