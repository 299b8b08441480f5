import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import NIOCore
import PostgresNIO

// `carecron import` into PostgreSQL (issue 30, item 4): the file's rows, read and normalised as
// for SQLite, are streamed by `COPY ... FROM STDIN` (the protocol's copy-in, postgres-nio's
// `copyFrom`) into a staging table that exists only inside the import's transaction, each row
// with its line; then one upsert moves them into the real table. Row-by-row statements were
// the 14x gap to SQLite. Bad rows are named by file and line as before (an order's unknown
// customer by a query of the staged rows), and `--strict` rolls the whole transaction back.

extension PostgresStore: FileImportStore {
    /// Strict mode met a bad row: everything is rolled back, the counts kept for the summary.
    private struct StrictRollback: Error { let report: ImportReport }

    public func importFile(_ file: ImportFile, strict: Bool, clock: ShopClock, holdFor: TimeSpan, now: Date,
                           progress: (@Sendable (Int, Int) -> Void)?) async throws -> ImportReport {
        let batches = file.batches(RowNormaliser(clock: clock))
        defer { batches.cancel() }
        let stage = StagingTable(kind: file.kind)
        var report = ImportReport()
        var problems: [ReadBatch.Problem] = []
        do {
            report = try await db.transaction { conn in
                try await conn.query(PostgresQuery(unsafeSQL: stage.create), logger: self.logger)
                try await conn.copyFrom(table: stage.name, columns: stage.columns, logger: self.logger) { writer in
                    while let batch = try batches.next() {
                        problems += batch.problems
                        var rows = ByteBuffer()
                        for (line, record) in batch.records { stage.append(record, line: line, holdFor: holdFor, to: &rows) }
                        if rows.readableBytes > 0 { try await writer.write(rows) }
                        progress?(batch.progress.read, batch.progress.total)
                    }
                }
                problems += try await stage.refused(on: conn, logger: self.logger)
                let deferred = try await PostgresBulkLoad(file.kind.rawValue, expectedRows: file.expectedRows, on: conn, logger: self.logger)
                let report = deferred.locksTable
                    ? try await stage.insertAndUpdate(now: Self.seconds(now), on: conn, logger: self.logger)
                    : try await stage.upsert(now: Self.seconds(now), on: conn, logger: self.logger)
                try await deferred.restore(on: conn, logger: self.logger)
                if strict, !problems.isEmpty { throw StrictRollback(report: report) }
                return report
            }
        } catch let rollback as StrictRollback {
            report = rollback.report
            report.rolledBack = true
        }
        report.setProblems(problems, file: file.name)
        return report
    }
}

/// The import's staging table: the real table's columns, as text and numbers, and each row's
/// line in the file. Temporary and dropped at commit, so a rolled-back import leaves nothing.
struct StagingTable {
    let kind: ImportKind

    var name: String { "carecron_import_\(kind.rawValue)" }
    var columns: [String] { ["line"] + (kind == .customers ? RowUpserts.customerColumns : RowUpserts.orderColumns) }
    var create: String {
        "CREATE TEMP TABLE \(name) (line integer, \(kind == .customers ? RowUpserts.customerTypes : RowUpserts.orderTypes)) ON COMMIT DROP"
    }

    /// One row in COPY's text format: tab-separated, `\N` for none, backslash escapes.
    func append(_ record: NormalisedRecord, line: Int, holdFor: TimeSpan, to buffer: inout ByteBuffer) {
        let values: [Any?]
        switch record {
        case .customer(let c): values = RowUpserts.values(c)
        case .order(let o): values = RowUpserts.values(o, holdFor: holdFor)
        }
        buffer.writeString(String(line))
        for value in values {
            buffer.writeInteger(UInt8(ascii: "\t"))
            switch value {
            case nil: buffer.writeStaticString("\\N")
            case let text as String: CopyText.write(text, to: &buffer)
            case let some?: buffer.writeString("\(some)")
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// An order whose customer is not stored is refused by its line, as SQLite's import does.
    func refused(on conn: PostgresConnection, logger: Logger) async throws -> [ReadBatch.Problem] {
        guard kind == .orders else { return [] }
        var out: [ReadBatch.Problem] = []
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT s.line, s.customer_id FROM \(name) s WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = s.customer_id) ORDER BY s.line
            """), logger: logger)
        for try await (line, customer) in rows.decode((Int, String).self) {
            out.append(.init(line: line, text: RowUpserts.unknownCustomer(customer).description))
        }
        return out
    }

    /// What keeps a staged order out when its customer is not stored (nothing, for customers).
    var customerKnown: String? { kind == .orders ? "EXISTS (SELECT 1 FROM customers c WHERE c.id = r.customer_id)" : nil }

    /// The staged rows that may be written.
    var source: String { customerKnown.map { "\(name) r WHERE \($0)" } ?? "\(name) r" }

    /// The staged rows into the real table in one statement; the counts as `RETURNING` says
    /// (a row it does not return was unchanged).
    func upsert(now: Int64, on conn: PostgresConnection, logger: Logger) async throws -> ImportReport {
        let upsert = kind == .customers ? RowUpserts.customersUpsert(from: source, now: now) : RowUpserts.ordersUpsert(from: source, now: now)
        let rows = try await conn.query(PostgresQuery(unsafeSQL: """
            WITH written AS (\(upsert))
            SELECT (SELECT count(*) FROM \(source)), count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """), logger: logger)
        var report = ImportReport()
        for try await (staged, inserted, updated) in rows.decode((Int, Int, Int).self) {
            report.inserted = inserted
            report.updated = updated
            report.unchanged = staged - inserted - updated
        }
        return report
    }
}

extension StagingTable {
    /// The columns an update may change, and those whose difference makes it one (a customer's
    /// search columns follow from the name).
    var changing: [String] { Array((kind == .customers ? RowUpserts.customerColumns : RowUpserts.orderColumns).dropFirst()) }
    var compared: [String] { changing.filter { !$0.hasPrefix("search_") } }
    var table: String { kind.rawValue }

    /// A bulk load into a table it holds locked: the known ids by one `UPDATE ... FROM`, the new
    /// ones by a plain insert. `ON CONFLICT` placed each row speculatively first (2.6 s for
    /// 200,000 orders against 0.8 s), which only a table others may write to needs.
    func insertAndUpdate(now: Int64, on conn: PostgresConnection, logger: Logger) async throws -> ImportReport {
        let known = customerKnown.map { " AND \($0)" } ?? ""
        let updated = try await count(on: conn, logger: logger, """
            WITH changed AS (
                UPDATE \(table) AS t SET \(changing.map { "\($0) = r.\($0)" }.joined(separator: ", ")), updated_at = \(now)
                FROM \(name) r WHERE t.id = r.id\(known)
                  AND (\(compared.map { "t.\($0)" }.joined(separator: ", "))) IS DISTINCT FROM (\(compared.map { "r.\($0)" }.joined(separator: ", ")))
                RETURNING 1)
            SELECT count(*) FROM changed
            """)
        let existing = try await count(on: conn, logger: logger, """
            SELECT count(*) FROM \(name) r WHERE EXISTS (SELECT 1 FROM \(table) t WHERE t.id = r.id)\(known)
            """)
        let inserted = try await count(on: conn, logger: logger, """
            WITH added AS (
                INSERT INTO \(table) (id, \(changing.joined(separator: ", ")), created_at, updated_at)
                SELECT r.id, \(changing.map { "r.\($0)" }.joined(separator: ", ")), \(now), \(now)
                FROM \(name) r WHERE NOT EXISTS (SELECT 1 FROM \(table) t WHERE t.id = r.id)\(known)
                RETURNING 1)
            SELECT count(*) FROM added
            """)
        var report = ImportReport()
        report.inserted = inserted
        report.updated = updated
        report.unchanged = existing - updated
        return report
    }

    private func count(on conn: PostgresConnection, logger: Logger, _ sql: String) async throws -> Int {
        var n = 0
        for try await c in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) { n = c }
        return n
    }
}

/// COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped.
enum CopyText {
    static func write(_ text: String, to buffer: inout ByteBuffer) {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
            buffer.writeString(text)
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }
}

/// A bulk load's secondary indexes built once at the end, as on SQLite (`DeferredIndexes`), and
/// its foreign keys checked once at the end: at a million customers the upsert placed each row
/// in seven indexes at random (14 s), the rows alone and seven sorted builds take half that; an
/// order's foreign key locked its customer's row one by one (200,000 orders: 3.1 s with it, 1.2 s
/// with one check of them all). Dropped and re-created inside the import's transaction, so a
/// failure or `--strict` leaves them as they were. Dropping them locks the table (and, for
/// orders, customers, which their key refers to) until the import commits: other nodes' reads
/// of them wait, which is why this is only done when the file brings more rows than the table
/// holds (a first load).
struct PostgresBulkLoad {
    private let restoring: [String]
    /// Whether the load holds the table locked: no one else writes to it until it commits.
    let locksTable: Bool

    init(_ table: String, expectedRows: Int, on conn: PostgresConnection, logger: Logger) async throws {
        guard expectedRows >= ImportFile.bulkRows else { (restoring, locksTable) = ([], false); return }
        var present = 0
        for try await n in try await conn.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM (SELECT 1 FROM \(table) LIMIT \(expectedRows)) AS t"),
                                                logger: logger).decode(Int.self) { present = n }
        guard ImportFile.rebuildsIndexes(expectedRows: expectedRows, present: present) else { (restoring, locksTable) = ([], false); return }
        var drop: [String] = [], restore: [String] = []
        // Unique indexes stay: the upsert's ON CONFLICT needs the key.
        for try await (name, sql) in try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = '\(table)'::regclass AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.relname
            """), logger: logger).decode((String, String).self) {
            drop.append("DROP INDEX \"\(name)\"")
            restore.append(sql)
        }
        var locked: Set<String> = [table]
        for try await (name, definition, referenced) in try await conn.query(PostgresQuery(unsafeSQL: """
            SELECT conname::text, pg_get_constraintdef(oid), confrelid::regclass::text FROM pg_constraint
            WHERE conrelid = '\(table)'::regclass AND contype = 'f' ORDER BY conname
            """), logger: logger).decode((String, String, String).self) {
            drop.append("ALTER TABLE \(table) DROP CONSTRAINT \"\(name)\"")
            restore.append("ALTER TABLE \(table) ADD CONSTRAINT \"\(name)\" \(definition)")
            locked.insert(referenced)
        }
        // Dropping a foreign key locks the table it refers to as well (orders: customers). Both
        // locks taken at once, in one order, so that a webhook writing a customer then its
        // order waits for the load rather than deadlocking with it.
        try await conn.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(locked.sorted().joined(separator: ", ")) IN ACCESS EXCLUSIVE MODE"), logger: logger)
        for sql in drop { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
        (restoring, locksTable) = (restore, true)
    }

    func restore(on conn: PostgresConnection, logger: Logger) async throws {
        for sql in restoring { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }
}
