import CarecronBench
import CarecronConfig
import CarecronPostgres
import Foundation
import Logging

/// A throwaway PostgreSQL server for the tests (issue 15): Debian's `postgresql` binaries run as
/// the `postgres` user through `runuser` (initdb refuses root), listening only on a unix socket in
/// a temporary folder, with fsync off. One server per test process; each test gets a database of
/// its own. `.ci/run` installs the package; without it these tests fail and say so.
enum TestPostgres {
    struct Unavailable: Error, CustomStringConvertible { let description: String }

    final class Server: Sendable {
        let folder: String
        let port: Int
        init(folder: String, port: Int) {
            self.folder = folder
            self.port = port
        }
    }

    nonisolated(unsafe) private static var started: Result<Server, Unavailable>?
    private static let lock = NSLock()

    /// The bin folder of the newest installed PostgreSQL.
    static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin" }
    }

    static func server() throws -> Server {
        try lock.withLock {
            if started == nil { started = start() }
            return try started!.get()
        }
    }

    private static func start() -> Result<Server, Unavailable> {
        guard let bin = binaries(), FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            return .failure(Unavailable(description: "PostgreSQL is not installed (apt-get install postgresql): the PostgreSQL tests need a real server"))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("carecron-pg-\(UUID().uuidString.prefix(8))").path
        let port = 15_000 + Int.random(in: 0..<20_000)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try run("/bin/chown", ["postgres:postgres", folder])
            try run("/sbin/runuser", ["-u", "postgres", "--", "\(bin)/initdb", "-D", "\(folder)/data", "-A", "trust", "-U", "postgres",
                                      "--no-sync", "-E", "UTF8", "--locale=C"])
            // The server outlives this call: it must not inherit the pipes other tests have open at
            // this moment (a croniter oracle waited for ever for an end of input the server held).
            try run("/usr/bin/env", ["python3", "-c", "import os, sys; os.closerange(3, 1 << 16); os.execv(sys.argv[1], sys.argv[1:])",
                                     "/sbin/runuser", "-u", "postgres", "--", "\(bin)/pg_ctl", "-D", "\(folder)/data", "-l", "\(folder)/log",
                                     "-w", "start", "-o",
                                     "-k \(folder) -c listen_addresses='' -p \(port) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"])
        } catch {
            return .failure(Unavailable(description: "the throwaway PostgreSQL did not start: \(error)"))
        }
        stopFolder = folder
        stopBin = bin
        atexit {
            guard let folder = TestPostgres.stopFolder, let bin = TestPostgres.stopBin else { return }
            _ = try? TestPostgres.run("/sbin/runuser", ["-u", "postgres", "--", "\(bin)/pg_ctl", "-D", "\(folder)/data", "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: folder)
        }
        return .success(Server(folder: folder, port: port))
    }

    nonisolated(unsafe) static var stopFolder: String?
    nonisolated(unsafe) static var stopBin: String?

    /// A new, empty database on the server, as `config.json` would name it. Its tools run on a
    /// thread of their own: a test waiting for initdb or createdb must not hold one of the few
    /// threads every other test's async work runs on (an SMTP test timed out behind them).
    static func freshDatabase(leaseSeconds: Double = 30) async throws -> PostgresSettings {
        try await withCheckedThrowingContinuation { done in
            DispatchQueue.global().async { done.resume(with: Result { try blockingFreshDatabase(leaseSeconds: leaseSeconds) }) }
        }
    }

    private static func blockingFreshDatabase(leaseSeconds: Double) throws -> PostgresSettings {
        let server = try server()
        let name = "carecron_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        try run("/sbin/runuser", ["-u", "postgres", "--", "\(binaries()!)/createdb", "-h", server.folder, "-p", "\(server.port)", name])
        return PostgresSettings(port: server.port, socket: server.folder, user: "postgres", database: name, leaseSeconds: leaseSeconds)
    }

    /// Opens (and migrates) a database.
    static func open(_ settings: PostgresSettings) async throws -> PostgresDatabase {
        var log = Logger(label: "test.postgres")
        log.logLevel = .warning
        return try await PostgresDatabase(settings, password: nil, logger: log)
    }

    /// SQL through `psql`, as another client would run it; its output.
    @discardableResult
    static func psql(_ settings: PostgresSettings, _ sql: String) throws -> String {
        try run("/sbin/runuser", ["-u", "postgres", "--", "\(binaries()!)/psql", "-h", settings.socket!, "-p", "\(settings.port)", "-d", settings.database,
                                  "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Runs a tool to its end (posix_spawn and wait4, as the bench runs its children: Foundation's
    /// `Process` never saw `pg_ctl` end here); its output.
    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> String {
        let (exit, out, err) = try runToEnd(tool, args)
        guard exit.status == 0 else { throw Unavailable(description: "\(tool) \(args.joined(separator: " ")): \(err)") }
        return out
    }
}
