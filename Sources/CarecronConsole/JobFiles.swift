import CarecronDomain
import Crypto
import Foundation

/// The job files the editor reads and writes: atomic saves (a temporary file, fsync, rename),
/// the previous version kept in `jobs/.history/NAME/`, and a fingerprint to notice a file
/// changed on disk since the editor opened it.
struct JobFiles {
    let folder: URL

    struct Version {
        let file: String
        let at: Date
        /// The order of versions kept in the same second.
        let sequence: Int
        let user: String
    }

    /// Job names are file names: letters, digits and dashes, nothing that leaves the folder.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    func url(_ name: String) -> URL { folder.appendingPathComponent("\(name).json") }
    func historyFolder(_ name: String) -> URL { folder.appendingPathComponent(".history/\(name)") }

    func read(_ name: String) -> String? { try? String(contentsOf: url(name), encoding: .utf8) }

    static func fingerprint(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// What a save found.
    enum SaveOutcome: Equatable {
        /// Written; the text it replaced is kept in the history.
        case saved(replaced: String)
        /// The file is no longer the version the editor opened: this is the one there now,
        /// and nothing was written.
        case changed(String)
        case missing
    }

    /// Writes the new text only over the version whose fingerprint is `base` (compare and swap),
    /// keeping the one it replaces in the history. Two saves made from the same version, in
    /// this process or in two (`run` and `carecron console` on one folder), cannot both win:
    /// an actor orders them here and an flock on the jobs folder orders the processes.
    func save(_ name: String, text: String, over base: String, user: String, at: Date) async throws -> SaveOutcome {
        try await JobFolderLock.shared.holding(folder) {
            guard let current = read(name) else { return .missing }
            guard Self.fingerprint(current) == base else { return .changed(current) }
            try keep(current, of: name, user: user, at: at)
            try Self.writeAtomically(text, to: url(name))
            return .saved(replaced: current)
        }
    }

    /// Writes a new job file; false when one of that name exists (nothing is written then).
    func create(_ name: String, text: String) async throws -> Bool {
        try await JobFolderLock.shared.holding(folder) {
            guard read(name) == nil else { return false }
            try Self.writeAtomically(text, to: url(name))
            return true
        }
    }

    /// Adds a version to the history under a name no other version has: `SECONDS-N-USER.json`,
    /// N counting the versions of that second (two saves in one second, every save under
    /// `console --at`). The name is taken with link(2), which fails rather than replace a file.
    func keep(_ text: String, of name: String, user: String, at: Date) throws {
        let history = historyFolder(name)
        try FileManager.default.createDirectory(at: history, withIntermediateDirectories: true)
        let safeUser = String(user.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(32))
        let seconds = Int(at.timeIntervalSince1970.rounded(.down))
        let temporary = try Self.writeDurably(text, beside: history.appendingPathComponent("version.json"))
        defer { unlink(temporary.path) }
        for n in 1...100_000 {
            let file = history.appendingPathComponent("\(seconds)-\(n)-\(safeUser).json")
            if link(temporary.path, file.path) == 0 {
                Self.syncFolder(history)
                return
            }
            guard errno == EEXIST else { throw ConsoleError("cannot keep the previous version as \(file.path): \(String(cString: strerror(errno)))") }
        }
        throw ConsoleError("cannot keep the previous version: \(history.path) has 100000 versions of one second")
    }

    /// The saved versions of a job, newest first: `SECONDS-N-USER.json`, and the older
    /// `SECONDS-USER.json` (one a second) that earlier releases wrote.
    func history(_ name: String) -> [Version] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: historyFolder(name).path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.compactMap(Self.parseVersion).sorted {
            ($0.at, $0.sequence, $0.file) > ($1.at, $1.sequence, $1.file)
        }
    }

    static func parseVersion(_ file: String) -> Version? {
        let base = file.dropLast(".json".count)
        guard let dash = base.firstIndex(of: "-"), let seconds = TimeInterval(base[..<dash]) else { return nil }
        var rest = base[base.index(after: dash)...]
        var sequence = 0
        if let next = rest.firstIndex(of: "-"), let n = Int(rest[..<next]) {
            sequence = n
            rest = rest[rest.index(after: next)...]
        }
        return Version(file: file, at: Date(timeIntervalSince1970: seconds), sequence: sequence, user: String(rest))
    }

    func version(_ name: String, file: String) -> String? {
        guard history(name).contains(where: { $0.file == file }) else { return nil }
        return try? String(contentsOf: historyFolder(name).appendingPathComponent(file), encoding: .utf8)
    }

    /// A reader never sees half a file: the text goes to a temporary file beside it, reaches the
    /// disk, and takes the name in one rename; the folder is synced so that the rename lasts.
    static func writeAtomically(_ text: String, to url: URL) throws {
        let temporary = try writeDurably(text, beside: url)
        guard rename(temporary.path, url.path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary.path)
            throw ConsoleError("cannot replace \(url.path): \(why)")
        }
        syncFolder(url.deletingLastPathComponent())
    }

    /// The text in a new temporary file beside `url`, flushed to the disk.
    static func writeDurably(_ text: String, beside url: URL) throws -> URL {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
            throw ConsoleError("cannot write \(temporary.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            return temporary
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    static func syncFolder(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// Orders the saves of a jobs folder: one at a time in this process (the actor), and one at a
/// time across processes (an exclusive flock on the folder itself, released when its
/// descriptor closes, by the kernel if the process dies).
actor JobFolderLock {
    static let shared = JobFolderLock()

    /// Runs `body` holding the folder's lock. The wait for another process blocks this actor's
    /// thread, for as long as that process's own save takes: a few file writes.
    func holding<T: Sendable>(_ folder: URL, _ body: @Sendable () throws -> T) throws -> T {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw ConsoleError("cannot open \(folder.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ConsoleError("cannot lock \(folder.path): \(String(cString: strerror(errno)))") }
        }
        return try body()
    }
}
