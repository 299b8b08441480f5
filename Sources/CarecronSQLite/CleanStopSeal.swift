import CarecronStorage
import Foundation
import GRDB

/// What lets a start skip reading a large file for its integrity check (issue 30, item 5): the
/// service's clean stop writes, beside the database, the file's identity and times once its last
/// write is in the file and it is closed. A start that finds the file exactly so (same device,
/// inode, size, modification and change times to the nanosecond; no write-ahead log with
/// anything in it) knows nothing has written to it since, so the full check the chain of clean
/// stops began with still holds. Anything else (a crash, an import while stopped, a restored or
/// copied file, a touch) breaks the chain: the whole file is checked before anything is sent.
/// The status-change time cannot be set by any program, so even a copy that keeps the
/// modification time is seen.
struct CleanStopSeal: Codable, Equatable {
    var stamp: FileStamp
    /// When the clean stop was.
    var stoppedAt: Double
    /// When a check of the whole file last found it sound, in this chain of clean stops.
    var lastFullCheck: Double

    static func file(beside database: URL) -> URL { URL(fileURLWithPath: database.path + ".clean-stop") }

    static func read(beside database: URL) -> CleanStopSeal? {
        (try? Data(contentsOf: file(beside: database))).flatMap { try? JSONDecoder().decode(CleanStopSeal.self, from: $0) }
    }

    /// Written to a new file then renamed over the old one (0600, as the database).
    func write(beside database: URL) throws {
        let target = Self.file(beside: database), temporary = URL(fileURLWithPath: target.path + ".new")
        try? FileManager.default.removeItem(at: temporary)
        guard FileManager.default.createFile(atPath: temporary.path, contents: try JSONEncoder().encode(self), attributes: [.posixPermissions: 0o600]) else {
            throw Store.OpenError(description: "cannot write \(temporary.path)")
        }
        guard rename(temporary.path, target.path) == 0 else {
            throw Store.OpenError(description: "cannot rename \(temporary.path): \(String(cString: strerror(errno)))")
        }
    }

    static func remove(beside database: URL) {
        try? FileManager.default.removeItem(at: file(beside: database))
    }

    /// The seal when it still describes the file: nothing has been written to it since.
    static func holding(for database: URL) -> CleanStopSeal? {
        guard let seal = read(beside: database), let now = FileStamp.of(database.path), seal.stamp == now,
              (FileStamp.of(database.path + "-wal")?.size ?? 0) == 0 else { return nil }
        return seal
    }
}

/// A file's identity and the times any write or copy changes.
struct FileStamp: Codable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedNs: Int64
    var changedNs: Int64

    static func of(_ path: String) -> FileStamp? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        #if canImport(Darwin)
        let (modified, changed) = (s.st_mtimespec, s.st_ctimespec)
        #else
        let (modified, changed) = (s.st_mtim, s.st_ctim)
        #endif
        return FileStamp(device: UInt64(s.st_dev), inode: UInt64(s.st_ino), size: Int64(s.st_size),
                         modifiedNs: Int64(modified.tv_sec) * 1_000_000_000 + Int64(modified.tv_nsec),
                         changedNs: Int64(changed.tv_sec) * 1_000_000_000 + Int64(changed.tv_nsec))
    }
}

/// This process's link in the chain: the seal found at opening, and the last full check that
/// passed (inherited from the seal, or this process's own).
final class IntegrityChain: @unchecked Sendable {
    private let lock = NSLock()
    private var seal: CleanStopSeal?
    private var fullCheck: Date?

    init(sealAtOpening: CleanStopSeal?) {
        seal = sealAtOpening
        fullCheck = sealAtOpening.map { Date(timeIntervalSince1970: $0.lastFullCheck) }
    }

    var sealAtOpening: CleanStopSeal? { lock.withLock { seal } }
    var lastFullCheck: Date? { lock.withLock { fullCheck } }
    func fullCheckPassed(at: Date) { lock.withLock { fullCheck = at } }
}

extension Store {
    public var startupCheckDeadline: Duration? { nil }

    /// The start-up check: the whole file unless a clean stop's seal still describes it, then
    /// only its first page (the header SQLite needs to read anything) and the schema.
    public func startupIntegrity(limit: Int = 10, at now: Date) throws -> StartupIntegrity {
        // Used once: only the next clean stop writes another, so a run that ends any other way
        // (damage found, a crash, a stop during a check) leaves the next start a whole check.
        CleanStopSeal.remove(beside: url)
        guard let seal = chain.sealAtOpening else {
            return StartupIntegrity(scope: .whole, problems: try periodicIntegrityProblems(limit: limit, at: now))
        }
        return StartupIntegrity(scope: .unchangedSinceCleanStop(stoppedAt: Date(timeIntervalSince1970: seal.stoppedAt),
                                                                lastFullCheck: Date(timeIntervalSince1970: seal.lastFullCheck)),
                                problems: try headerProblems())
    }

    /// The whole file read (at start without a seal, or in the background once the last whole
    /// check is old); a sound verdict becomes the chain's last whole check.
    public func periodicIntegrityProblems(limit: Int = 10, at now: Date) throws -> [String] {
        let problems = try integrityProblems(limit: limit)
        if problems.isEmpty { chain.fullCheckPassed(at: now) }
        return problems
    }

    /// What the cheap check reads: the header's magic and page size, the file a whole number of
    /// pages, and the schema parsed.
    func headerProblems() throws -> [String] {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return ["\(url.path) cannot be read"] }
        defer { try? handle.close() }
        let header = handle.readData(ofLength: 100)
        guard header.count == 100, header.prefix(16) == Data("SQLite format 3\0".utf8) else { return ["the file's header is not SQLite's"] }
        let raw = Int(header[16]) << 8 | Int(header[17])
        let pageSize = raw == 1 ? 65536 : raw
        let size = (FileStamp.of(url.path)?.size).map(Int.init) ?? 0
        guard pageSize >= 512, size > 0, size % pageSize == 0 else { return ["the file is not a whole number of pages (\(size) bytes, pages of \(pageSize))"] }
        do {
            _ = try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_schema") }
        } catch where StoreFile.isDamage(error) {
            return [StoreFile.damage(error)]
        }
        return []
    }

    /// After the service's last write: everything into the file, the file closed, and the seal
    /// written, unless this process never saw the whole file sound (then the next start checks it
    /// all). Returns where the seal is, or nil when none was written.
    public func sealCleanStop(at now: Date) throws -> URL? {
        // Damage met by any connection of this process (the API, the console, a refused commit),
        // not only by the scheduler, keeps the next start's whole check.
        guard !SQLiteDamage.seen, let lastFullCheck = chain.lastFullCheck else {
            CleanStopSeal.remove(beside: url)
            return nil
        }
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try db.close()
        guard let stamp = FileStamp.of(url.path), (FileStamp.of(url.path + "-wal")?.size ?? 0) == 0 else {
            CleanStopSeal.remove(beside: url)
            return nil
        }
        try CleanStopSeal(stamp: stamp, stoppedAt: now.timeIntervalSince1970, lastFullCheck: lastFullCheck.timeIntervalSince1970).write(beside: url)
        return CleanStopSeal.file(beside: url)
    }
}

/// Whether SQLite has reported a damaged or unreadable file to any connection of this process:
/// GRDB's error log sees every such error, whoever met it.
enum SQLiteDamage {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var flag = false
    static var seen: Bool { lock.withLock { flag } }

    /// Installed once, before the first pool opens.
    static let listening: Void = {
        let previous = Database.logError
        Database.logError = { code, message in
            if [ResultCode.SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_IOERR].contains(code.primaryResultCode) { lock.withLock { flag = true } }
            previous?(code, message)
        }
    }()
}
