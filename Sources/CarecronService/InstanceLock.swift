import Foundation

/// One scheduler per database: an exclusive `flock` on a file beside it. The kernel drops the
/// lock when the process dies, however it dies, so a crash never leaves it stale.
/// The lock belongs to the file, not to the name config.json gives it: the name is resolved
/// through every symbolic link first, and a database with a second hard link is refused (the
/// lock file and SQLite's journal both follow the name, so two names would be two locks).
/// Single-node assumption: it holds for an SQLite file on this machine; several nodes on a
/// shared database elect a leader instead.
public final class InstanceLock: Sendable {
    let fd: Int32
    public let path: String

    public struct Held: Error, CustomStringConvertible {
        public let description: String
    }

    public init(database: URL) throws {
        let file = try Self.identity(of: database)
        path = file + ".lock"
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Held(description: "cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            let named = file == database.path ? "" : " (config.json names it \(database.path))"
            throw Held(description: "another carecron is already running on \(file)\(named) (pid \(holder.isEmpty ? "?" : holder)); stop it first")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    /// The database's one true path: every link resolved (the file's, or for a file not made yet,
    /// its folder's). A file with more than one hard link has more than one true path: refused.
    public static func identity(of database: URL) throws -> String {
        var info = stat()
        if stat(database.path, &info) == 0 {
            guard info.st_nlink <= 1 else {
                throw Held(description: "the database \(database.path) has \(info.st_nlink) names (hard links); carecron's lock and SQLite's journal follow the name, so a service started under each name would both send: remove the other names and keep one")
            }
            return try realPath(database.path)
        }
        // Not made yet: where it will be made, through a symbolic link that already points there.
        var target = database
        for _ in 0..<40 {
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: target.path) else { break }
            target = URL(fileURLWithPath: link, relativeTo: target.deletingLastPathComponent()).standardizedFileURL
        }
        return try realPath(target.deletingLastPathComponent().path) + "/" + target.lastPathComponent
    }

    private static func realPath(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else {
            throw Held(description: "cannot resolve \(path): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// systemd's notify protocol (sd_notify): READY=1, STOPPING=1, WATCHDOG=1, STATUS=…, sent as
/// datagrams to $NOTIFY_SOCKET. A no-op when not started by systemd.
public struct SystemdNotifier: Sendable {
    let socketPath: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"]
    }

    /// The watchdog interval systemd expects pings within, if it set one.
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> TimeInterval? {
        guard let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return usec / 1_000_000
    }

    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard var path = socketPath, !path.isEmpty else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let abstract = path.hasPrefix("@")
        if abstract { path = String(path.dropFirst()) }
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count + (abstract ? 1 : 0) < capacity else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let offset = abstract ? 1 : 0
            for (i, b) in bytes.enumerated() { raw[i + offset] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
        let sent = state.withCString { msg in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, msg, strlen(msg), 0, $0, length) }
            }
        }
        return sent >= 0
    }
}
