import CarecronConfig
import Foundation

/// A throwaway PostgreSQL server for the tests and `bench multinode` (issue 15): Debian's
/// `postgresql` binaries run as the `postgres` user through `runuser` (initdb refuses root),
/// listening only on a unix socket in a temporary folder, with fsync off. `.ci/run` installs the
/// package; without it the callers fail and say so.
public final class ThrowawayPostgres: Sendable {
    public struct Unavailable: Error, CustomStringConvertible { public let description: String }

    public let folder: String
    public let port: Int
    let bin: String

    /// The bin folder of the newest installed PostgreSQL.
    public static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(root)/\($0)/bin" }
    }

    /// Creates a cluster in a temporary folder and starts it; `stop()` removes it.
    public init() throws(Unavailable) {
        guard let bin = Self.binaries(), FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw Unavailable(description: "PostgreSQL is not installed (apt-get install postgresql): a real server is needed")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("carecron-pg-\(UUID().uuidString.prefix(8))").path
        let port = 15_000 + Int.random(in: 0..<20_000)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Self.run("/bin/chown", ["postgres:postgres", folder])
            try Self.run("/sbin/runuser", ["-u", "postgres", "--", "\(bin)/initdb", "-D", "\(folder)/data", "-A", "trust", "-U", "postgres",
                                           "--no-sync", "-E", "UTF8", "--locale=C"])
            // The server outlives this call: it must not inherit the pipes the caller has open at
            // this moment (a croniter oracle waited for ever for an end of input the server held).
            try Self.run("/usr/bin/env", ["python3", "-c", "import os, sys; os.closerange(3, 1 << 16); os.execv(sys.argv[1], sys.argv[1:])",
                                          "/sbin/runuser", "-u", "postgres", "--", "\(bin)/pg_ctl", "-D", "\(folder)/data", "-l", "\(folder)/log",
                                          "-w", "start", "-o",
                                          "-k \(folder) -c listen_addresses='' -p \(port) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"])
        } catch {
            throw Unavailable(description: "the throwaway PostgreSQL did not start: \(error)")
        }
        self.folder = folder
        self.port = port
        self.bin = bin
    }

    /// Stops the server at once and removes its folder.
    public func stop() {
        _ = try? Self.run("/sbin/runuser", ["-u", "postgres", "--", "\(bin)/pg_ctl", "-D", "\(folder)/data", "-m", "immediate", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A new, empty database, as config.json would name it.
    public func createDatabase(leaseSeconds: Double = 30) throws -> PostgresSettings {
        let name = "carecron_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))"
        try Self.run("/sbin/runuser", ["-u", "postgres", "--", "\(bin)/createdb", "-h", folder, "-p", "\(port)", name])
        return PostgresSettings(port: port, socket: folder, user: "postgres", database: name, leaseSeconds: leaseSeconds)
    }

    /// SQL through `psql`, as another client would run it; its output.
    @discardableResult
    public func psql(_ settings: PostgresSettings, _ sql: String) throws -> String {
        try Self.run("/sbin/runuser", ["-u", "postgres", "--", "\(bin)/psql", "-h", folder, "-p", "\(port)", "-d", settings.database,
                                       "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Runs a tool to its end (posix_spawn and wait4: Foundation's `Process` never saw `pg_ctl`
    /// end here); its output.
    @discardableResult
    public static func run(_ tool: String, _ args: [String]) throws -> String {
        let (exit, out, err) = try runToEnd(tool, args)
        guard exit.status == 0 else { throw Unavailable(description: "\(tool) \(args.joined(separator: " ")): \(err)") }
        return out
    }
}
