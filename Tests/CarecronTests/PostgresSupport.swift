import CarecronBench
import CarecronConfig
import CarecronPostgres
import Foundation
import Logging

/// The tests' PostgreSQL (issue 15): one `ThrowawayPostgres` per test process, stopped when it
/// exits; each test gets a database of its own.
enum TestPostgres {
    nonisolated(unsafe) private static var started: Result<ThrowawayPostgres, ThrowawayPostgres.Unavailable>?
    private static let lock = NSLock()

    static func server() throws -> ThrowawayPostgres {
        try lock.withLock {
            if started == nil {
                started = Result { () throws(ThrowawayPostgres.Unavailable) in try ThrowawayPostgres() }
                if case .success = started { atexit { if case .success(let s) = TestPostgres.started { s.stop() } } }
            }
            return try started!.get()
        }
    }

    /// A new, empty database on the server, as `config.json` would name it. Its tools run on a
    /// thread of their own: a test waiting for initdb or createdb must not hold one of the few
    /// threads every other test's async work runs on (an SMTP test timed out behind them).
    static func freshDatabase(leaseSeconds: Double = 30) async throws -> PostgresSettings {
        try await withCheckedThrowingContinuation { done in
            DispatchQueue.global().async { done.resume(with: Result { try server().createDatabase(leaseSeconds: leaseSeconds) }) }
        }
    }

    /// Opens (and migrates) a database.
    static func open(_ settings: PostgresSettings) async throws -> PostgresDatabase {
        var log = Logger(label: "test.postgres")
        log.logLevel = .warning
        return try await PostgresDatabase(settings, password: nil, logger: log)
    }

    /// One text column of a query, each value exactly (tabs and line breaks too): carried out
    /// of `psql` as hexadecimal.
    static func values(_ settings: PostgresSettings, _ sql: String) throws -> [String] {
        try psql(settings, "SELECT encode(convert_to(v, 'UTF8'), 'hex') FROM (\(sql)) AS q(v)").split(separator: "\n").map { hex in
            var bytes: [UInt8] = [], digits = Array(hex.utf8)
            while digits.count >= 2 {
                bytes.append(UInt8(String(decoding: digits.prefix(2), as: UTF8.self), radix: 16)!)
                digits.removeFirst(2)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// SQL through `psql`, as another client would run it; its output.
    @discardableResult
    static func psql(_ settings: PostgresSettings, _ sql: String) throws -> String {
        try server().psql(settings, sql)
    }
}
