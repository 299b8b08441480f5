import Foundation
import GRDB

/// What a person needs to hear when the database file cannot be used: whose it is and its mode
/// for a permission problem, the way out for a damaged one; never SQLite's numbered codes alone.
public enum StoreFile {
    /// The file as `ls -l` would describe it: "owned by root, mode 0600".
    public static func ownership(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "cannot be examined: \(String(cString: strerror(errno)))" }
        return "owned by \(userName(st.st_uid)), mode \(String(format: "%04o", st.st_mode & 0o7777))"
    }

    static func userName(_ uid: uid_t) -> String {
        guard let pw = getpwuid(uid) else { return "uid \(uid)" }
        return String(cString: pw.pointee.pw_name)
    }

    /// A read-only command's checks before SQLite sees the file, so that "unable to open
    /// database file" becomes which file, which folder, and why.
    public static func checkReadable(_ url: URL) throws {
        let path = url.path, folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw Store.OpenError(description: "no database at \(path): the folder \(folder) does not exist")
        }
        if access(folder, X_OK) != 0 {
            throw Store.OpenError(description: "permission denied: the folder \(folder) (\(ownership(folder))) cannot be entered by \(userName(geteuid())); run as its owner or root")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw Store.OpenError(description: "no database at \(path)")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw Store.OpenError(description: "\(path) is a directory, not a database")
        }
        if access(path, R_OK) != 0 {
            throw Store.OpenError(description: "permission denied: \(path) (\(ownership(path))) cannot be read by \(userName(geteuid())); run as its owner or root")
        }
    }

    /// Where a read-only command opens the file. A file this user may not write (or in a folder
    /// they may not write), with no
    /// write-ahead log beside it (no writer has it open), is opened `immutable`: SQLite then
    /// needs no `-shm` file, which such a user could not create (a read-only folder) or would
    /// leave behind, owned by them, in the service's way.
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
    public static func explain(_ error: Error, _ url: URL) -> String {
        guard let e = error as? DatabaseError else { return "\(error)" }
        switch e.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return "the database file is damaged (\(e.message ?? "malformed")); stop carecron and restore the last backup (README, \"Backup and restore\")"
        case .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_AUTH:
            let why = e.resultCode == .SQLITE_CANTOPEN ? "cannot be opened" : "permission denied"
            return "\(why): \(url.path) (\(ownership(url.path))) as user \(userName(geteuid()))"
        case .SQLITE_FULL:
            return "the disk is full"
        default:
            return e.message ?? "\(e)"
        }
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
