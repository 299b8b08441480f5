import CarecronStorage
import GRDB
import GRDBSQLite

/// A cached statement whose values are bound straight through SQLite's C API: an import binds
/// a dozen values a row a million times, and boxing them as GRDB arguments was a seventh of it.
struct BoundStatement {
    private let statement: Statement
    private let db: Database
    private var handle: OpaquePointer { statement.sqliteStatement }
    private var next: Int32 = 1

    init(_ db: Database, sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func bind(_ value: String?) {
        defer { next += 1 }
        guard var value else { sqlite3_bind_null(handle, next); return }
        _ = value.withUTF8 { p in
            // An empty buffer may have no address, which SQLite would read as NULL.
            if let base = p.baseAddress, p.count > 0 {
                sqlite3_bind_text(handle, next, base, Int32(p.count), Self.transient)
            } else {
                sqlite3_bind_text(handle, next, "", 0, nil)
            }
        }
    }

    mutating func bind(_ value: Int?) {
        defer { next += 1 }
        guard let value else { sqlite3_bind_null(handle, next); return }
        sqlite3_bind_int64(handle, next, Int64(value))
    }

    mutating func bind(_ values: [String?]) { for v in values { bind(v) } }

    /// Runs it with the values bound so far; returns how many rows it changed, and is ready to
    /// be bound again.
    mutating func run() throws -> Int {
        let rc = sqlite3_step(handle)
        next = 1
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
        return db.changesCount
    }

    /// Runs a query and hands each row's first column, as bytes, to `body`.
    mutating func forEachText(_ body: (UnsafeBufferPointer<UInt8>) -> Void) throws {
        next = 1
        defer { sqlite3_reset(handle) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
            }
            let count = Int(sqlite3_column_bytes(handle, 0))
            if let text = sqlite3_column_text(handle, 0) { body(UnsafeBufferPointer(start: text, count: count)) }
        }
    }

    /// Runs a query of one row; true if it returned one.
    mutating func exists() throws -> Bool {
        let rc = sqlite3_step(handle)
        next = 1
        defer { sqlite3_reset(handle) }
        if rc == SQLITE_ROW { return true }
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
        return false
    }
}
