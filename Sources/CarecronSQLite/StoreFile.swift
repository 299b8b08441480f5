import CarecronStorage
import Foundation
import GRDB

/// What a person needs to hear when the database file cannot be used: whose it is and its mode
/// for a permission problem, the way out for a damaged one; never SQLite's numbered codes alone.
public enum StoreFile {
    /// A read-only command's checks before SQLite sees the file, so that "unable to open
    /// database file" becomes which file, which folder, and why.
    public static func checkReadable(_ url: URL) throws {
        let path = url.path, folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw Store.OpenError(description: "no database at \(path): the folder \(folder) does not exist", isMissing: true)
        }
        if access(folder, X_OK) != 0 {
            throw Store.OpenError(description: "permission denied: the folder \(folder) (\(FileOwnership.ownership(folder))) cannot be entered by \(FileOwnership.userName(geteuid())); run as its owner or root")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw Store.OpenError(description: "no database at \(path)", isMissing: true)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw Store.OpenError(description: "\(path) is a directory, not a database")
        }
        if access(path, R_OK) != 0 {
            throw Store.OpenError(description: "permission denied: \(path) (\(FileOwnership.ownership(path))) cannot be read by \(FileOwnership.userName(geteuid())); run as its owner or root")
        }
    }

    /// Where a read-only command opens the file. A file this user may not write (or in a folder
    /// they may not write), with no write-ahead log beside it (no writer has it open), is opened
    /// `immutable`: SQLite then needs no `-shm` file, which such a user could not create (a
    /// read-only folder) or would leave behind, owned by them, in the service's way.
    static func readOnlyPath(_ url: URL) -> String {
        let path = url.path, folder = url.deletingLastPathComponent().path
        guard access(path, W_OK) != 0 || access(folder, W_OK) != 0, !FileManager.default.fileExists(atPath: path + "-wal") else { return path }
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))
        return "file:\(path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path)?immutable=1"
    }

    /// A command that must find the database says why it cannot: missing, or hidden from this user.
    public static func checkExists(_ url: URL) throws {
        if FileManager.default.fileExists(atPath: url.path) { return }
        try checkReadable(url)
    }

    /// SQLite's error as a sentence about this file.
    public static func explain(_ error: Error, _ url: URL?) -> String {
        sentence(error, url) ?? "\(error)"
    }

    /// A sentence for an error of the store's (SQLite's), without its SQL; nil for other errors.
    public static func sentence(_ error: Error, _ url: URL? = nil) -> String? {
        guard let e = error as? DatabaseError else { return nil }
        let file = url.map { "\($0.path) (\(FileOwnership.ownership($0.path)))" } ?? "the database"
        switch e.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return "the database file is damaged (\(e.message ?? "malformed")); stop carecron and restore the last backup (README, \"Backup and restore\")"
        case .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return "permission denied: \(file) cannot be written as user \(FileOwnership.userName(geteuid()))"
        case .SQLITE_CANTOPEN:
            return "cannot open \(file) as user \(FileOwnership.userName(geteuid())): permission denied or the folder cannot be written"
        case .SQLITE_FULL:
            return "the disk holding the database is full"
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return "the database stayed locked by another process for too long; try again"
        default:
            return "database error: \(e.message ?? "code \(e.resultCode.rawValue)")"
        }
    }

    /// A damaged file's verdict in a few words, for the log and status.
    static func damage(_ error: Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }

    /// Whether an error means the file itself is damaged.
    public static func isDamage(_ error: Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB
    }
}

extension Store {
    /// The SQLite library this binary is linked with (the system's libsqlite3).
    public static var sqliteLibraryVersion: String {
        (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? "unknown"
    }
}

extension Store {
    /// A trivial read: the file is there and readable.
    public func isReachable() throws -> Bool {
        try db.read { try Int.fetchOne($0, sql: "SELECT 1") } == 1
    }

    /// SQLite's `quick_check`: what is wrong with the file's pages (at most `limit` lines); empty
    /// when it is sound.
    public func integrityProblems(limit: Int = 10) throws -> [String] {
        do {
            return try db.read { try String.fetchAll($0, sql: "PRAGMA quick_check(\(limit))") }.filter { $0 != "ok" }
        } catch where StoreFile.isDamage(error) {
            // Damage severe enough that the check itself stops on it.
            return [StoreFile.damage(error)]
        }
    }

    /// The last integrity check's verdict, for `status`: when, and what was wrong (empty: sound).
    public func recordIntegrity(_ problems: [String], at: Date) throws {
        try db.write { db in
            for (key, value) in [("integrity", problems.joined(separator: "\n")), ("integrity_at", String(at.timeIntervalSince1970))] {
                try db.execute(sql: "INSERT INTO service_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                               arguments: [key, value])
            }
        }
    }

    public func lastIntegrity() throws -> (at: Date, problems: [String])? {
        try db.read { db in
            guard let at = try String.fetchOne(db, sql: "SELECT value FROM service_state WHERE key = 'integrity_at'").flatMap(TimeInterval.init),
                  let text = try String.fetchOne(db, sql: "SELECT value FROM service_state WHERE key = 'integrity'") else { return nil }
            return (Date(timeIntervalSince1970: at), text.isEmpty ? [] : text.components(separatedBy: "\n"))
        }
    }
}

extension Store {
    public struct BackupReport: Sendable {
        public let file: URL
        public let bytes: Int
        public let customers: Int
        public let orders: Int
        public let messages: Int
    }

    /// A consistent copy of the live store (SQLite's online backup: the service may go on
    /// writing), written to a new file (0600) and checked with `integrity_check` before it counts.
    public func backup(to file: URL) throws -> BackupReport {
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw OpenError(description: "\(file.path) already exists: a backup never overwrites a file")
        }
        let fd = open(file.path, O_CREAT | O_WRONLY | O_EXCL, 0o600)
        guard fd >= 0 else { throw OpenError(description: "cannot create \(file.path): \(String(cString: strerror(errno)))") }
        close(fd)
        do {
            let copy = try DatabaseQueue(path: file.path)
            try db.backup(to: copy)
            let (problems, counts) = try copy.read { db in
                (try String.fetchAll(db, sql: "PRAGMA integrity_check(10)").filter { $0 != "ok" },
                 try ["customers", "orders", "outbox"].map { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? 0 })
            }
            try copy.close()
            guard problems.isEmpty else {
                throw OpenError(description: "the copy does not pass SQLite's integrity check (\(problems.joined(separator: "; "))): the live database is probably damaged")
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            return BackupReport(file: file, bytes: bytes, customers: counts[0], orders: counts[1], messages: counts[2])
        } catch {
            // A partial or unsound copy is never left where it could be mistaken for a backup.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file.path + suffix) }
            if let e = error as? OpenError { throw e }
            throw OpenError(description: "backup to \(file.path) failed: \(StoreFile.explain(error, url))")
        }
    }
}
