import CarecronStorage
import Foundation

/// Outcomes the store could not take yet (a full disk, an I/O error), kept where a restart finds
/// them: a small file beside the database whose space is reserved when it is opened, so that
/// writing into it needs no free block on a full disk (on a copy-on-write filesystem, btrfs or ZFS,
/// a reservation is no promise, and the journal may fail as the database does). A restart records
/// them before anything is sent again (`Dispatcher.recordHeldOutcomes`): a message the provider
/// accepted is not sent twice because the disk was full when it answered.
///
/// It belongs to one database (its `storeId`): a journal left beside a database restored from a
/// backup or made anew is not applied to it. Outcomes apply only to messages still `sending`.
public final class OutcomeJournal: @unchecked Sendable {
    public let path: String
    let storeId: String
    private let fd: Int32
    private let lock = NSLock()
    /// A megabyte: a few thousand outcomes, far more than the senders' slots can hold at once.
    static let capacity = 1 << 20
    /// The length of what follows and the database's id, in a fixed-width header.
    static let headerSize = 64

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What the journal holds.
    enum Contents: Equatable {
        case outcomes([OutboxOutcome])
        /// Written for another database (restored, made anew): not for this one.
        case otherDatabase(String)
        /// Torn by a crash while it was written: unreadable.
        case torn
    }

    public init(path: String, storeId: String) throws {
        self.path = path
        self.storeId = storeId
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        let reserved = posix_fallocate(fd, 0, off_t(Self.capacity))
        guard reserved == 0 else {
            close(fd)
            throw Failure(description: "cannot reserve \(Self.capacity / 1024) KiB for \(path): \(String(cString: strerror(reserved)))")
        }
    }

    deinit { close(fd) }

    /// The journal beside an SQLite database, named from its real path (`carecron.sqlite.outcomes`).
    public static func beside(database realPath: String) -> String { realPath + ".outcomes" }

    /// Makes `outcomes` what the journal holds, durably; false when it could not (then a restart
    /// sends those messages again, with their keys).
    @discardableResult
    func hold(_ outcomes: [OutboxOutcome]) -> Bool {
        guard let body = try? JSONEncoder().encode(outcomes), body.count + Self.headerSize <= Self.capacity else { return false }
        var record = Data("\(body.count) \(storeId)".utf8)
        guard record.count <= Self.headerSize else { return false }
        record.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: Self.headerSize - record.count))
        record.append(body)
        return lock.withLock {
            let written = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return written == record.count && fdatasync(fd) == 0
        }
    }

    /// What the journal holds: nothing (a new file, or emptied) is `.outcomes([])`.
    func contents() -> Contents {
        lock.withLock {
            var header = [UInt8](repeating: 0, count: Self.headerSize)
            guard pread(fd, &header, header.count, 0) == header.count else { return .torn }
            let fields = String(decoding: header, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\0" })
            guard let first = fields.first else { return .outcomes([]) }  // reserved, never written
            guard let length = Int(first), length >= 0, length + Self.headerSize <= Self.capacity, fields.count == 2 else { return .torn }
            guard fields[1] == storeId else { return .otherDatabase(String(fields[1])) }
            var body = [UInt8](repeating: 0, count: length)
            guard pread(fd, &body, length, off_t(Self.headerSize)) == length,
                  let outcomes = try? JSONDecoder().decode([OutboxOutcome].self, from: Data(body)) else { return .torn }
            return .outcomes(outcomes)
        }
    }

    /// How many outcomes it holds for this database.
    public var heldCount: Int { held().count }

    /// The outcomes held for this database (the tests' view).
    func held() -> [OutboxOutcome] {
        if case .outcomes(let o) = contents() { return o }
        return []
    }
}
