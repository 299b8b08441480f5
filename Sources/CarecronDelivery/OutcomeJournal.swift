import CarecronStore
import Foundation

/// Outcomes the store could not take yet (a full disk, an I/O error), kept where a restart finds
/// them: a small file beside the database whose space is reserved when it is opened, so that
/// writing into it needs no free block on a full disk. A restart records them before anything is
/// sent again (`Dispatcher.recordHeldOutcomes`): a message the provider accepted is not sent twice
/// because the disk was full when it answered.
public final class OutcomeJournal: @unchecked Sendable {
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    /// A megabyte: a few thousand outcomes, far more than the senders' slots can hold at once.
    static let capacity = 1 << 20
    /// The length of what follows, in a fixed-width header.
    static let headerSize = 16

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        let reserved = posix_fallocate(fd, 0, off_t(Self.capacity))
        guard reserved == 0 else {
            close(fd)
            throw Failure(description: "cannot reserve \(Self.capacity / 1024) KiB for \(path): \(String(cString: strerror(reserved)))")
        }
    }

    deinit { close(fd) }

    /// Makes `outcomes` what the journal holds, durably; false when it could not (then a restart
    /// sends those messages again, with their keys).
    @discardableResult
    func hold(_ outcomes: [OutboxOutcome]) -> Bool {
        guard let body = try? JSONEncoder().encode(outcomes), body.count + Self.headerSize <= Self.capacity else { return false }
        var record = Data(String(body.count).utf8)
        record.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: Self.headerSize - record.count))
        record.append(body)
        return lock.withLock {
            let written = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return written == record.count && fdatasync(fd) == 0
        }
    }

    /// What the journal holds (empty when it holds nothing, or what it holds is torn).
    func held() -> [OutboxOutcome] {
        lock.withLock {
            var header = [UInt8](repeating: 0, count: Self.headerSize)
            guard pread(fd, &header, header.count, 0) == header.count,
                  let length = Int(String(decoding: header, as: UTF8.self).trimmingCharacters(in: .whitespaces.union(["\0"]))),
                  length > 0, length + Self.headerSize <= Self.capacity else { return [] }
            var body = [UInt8](repeating: 0, count: length)
            guard pread(fd, &body, length, off_t(Self.headerSize)) == length else { return [] }
            return (try? JSONDecoder().decode([OutboxOutcome].self, from: Data(body))) ?? []
        }
    }

    /// The journal beside an SQLite database (`carecron.sqlite.outcomes`).
    public static func beside(database: URL) -> String { database.path + ".outcomes" }
}
