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

    /// Writes the new text, keeping the one it replaces in the history.
    func save(_ name: String, text: String, user: String, at: Date) throws {
        if let previous = read(name) {
            let history = historyFolder(name)
            try FileManager.default.createDirectory(at: history, withIntermediateDirectories: true)
            let safeUser = String(user.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }.prefix(32))
            try Self.writeAtomically(previous, to: history.appendingPathComponent("\(Int(at.timeIntervalSince1970))-\(safeUser).json"))
        }
        try Self.writeAtomically(text, to: url(name))
    }

    /// The saved versions of a job, newest first.
    func history(_ name: String) -> [Version] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: historyFolder(name).path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.compactMap { file in
            let base = file.dropLast(".json".count)
            guard let dash = base.firstIndex(of: "-"), let seconds = TimeInterval(base[..<dash]) else { return nil }
            return Version(file: file, at: Date(timeIntervalSince1970: seconds), user: String(base[base.index(after: dash)...]))
        }.sorted { $0.at > $1.at || ($0.at == $1.at && $0.file > $1.file) }
    }

    func version(_ name: String, file: String) -> String? {
        guard history(name).contains(where: { $0.file == file }) else { return nil }
        return try? String(contentsOf: historyFolder(name).appendingPathComponent(file), encoding: .utf8)
    }

    /// A reader never sees half a file: the text goes to a temporary file beside it, reaches the
    /// disk, and takes the name in one rename.
    static func writeAtomically(_ text: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o644]) else {
            throw ConsoleError("cannot write \(temporary.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, url.path) == 0 else {
                throw ConsoleError("cannot replace \(url.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
