import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

/// Streams a CSV or JSON Lines file into the store in one transaction: a crash leaves either
/// nothing or the whole file, and upserts by id make a second import of the same file a no-op.
public struct Importer {
    public let store: Store
    public let normaliser: RowNormaliser
    /// Called now and then with (bytes read, file size), for a progress bar.
    public var progress: ((Int, Int) -> Void)?

    /// How long an unpaid order is held (config.json `orders.holdFor`): a payment after it is
    /// kept and flagged (DOMAIN.md §2).
    public let holdFor: TimeSpan

    /// When the rows were written (`created_at`, `updated_at`).
    public let now: WallClock

    public init(store: Store, clock: ShopClock, holdFor: TimeSpan = .hours(24), now: WallClock = .system,
                progress: ((Int, Int) -> Void)? = nil) {
        self.store = store
        self.now = now
        self.normaliser = RowNormaliser(clock: clock)
        self.holdFor = holdFor
        self.writer = RecordWriter(normaliser: normaliser, holdFor: holdFor)
        self.progress = progress
    }

    private let writer: RecordWriter

    private struct StrictRollback: Error {}

    public func run(_ kind: ImportKind, file: URL, strict: Bool = false, displayName: String? = nil) throws -> ImportReport {
        try run(ImportFile(kind, file: file, displayName: displayName), strict: strict)
    }

    public func run(_ source: ImportFile, strict: Bool = false) throws -> ImportReport {
        let name = source.name, kind = source.kind
        var report = ImportReport()
        let now = Int(self.now.now().timeIntervalSince1970)
        var rows = 0
        var problems: [ReadBatch.Problem] = []
        let expectedRows = source.expectedRows
        // A big file of orders checks each order's customer against the ids read once, and
        // SQLite's own foreign-key lookup (the same check, a disk read an order) is off for it.
        let customersInMemory = kind == .orders && expectedRows >= ImportFile.bulkRows
        do {
            try store.db.writeWithoutTransaction { db in
                // The CHECK constraints (gender, opt_out, amount ≥ 0) hold for every row the
                // normaliser lets through, and SQLite built a temporary b-tree a row to test
                // their IN lists: a seventh of a customer import. Other writers keep them.
                try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
                defer { try? db.execute(sql: "PRAGMA ignore_check_constraints = OFF") }
                if customersInMemory { try db.execute(sql: "PRAGMA foreign_keys = OFF") }
                defer { if customersInMemory { try? db.execute(sql: "PRAGMA foreign_keys = ON") } }
                try db.inTransaction {
                    // Reading starts first: it goes on while the customers' ids are read.
                    let reader = source.batches(normaliser)
                    defer { reader.cancel() }
                    let indexes = try DeferredIndexes(kind.rawValue, expectedRows: expectedRows, db: db)
                    let known = customersInMemory ? try SeenIds.all("SELECT id FROM customers", db: db) : nil
                    var session = try RecordWriter.Session(kind, db: db, knownCustomers: known)
                    var reported = 0
                    while true {
                        guard let batch = try reader.next() else { break }
                        problems += batch.problems
                        for (line, record) in batch.records {
                            do {
                                switch try writer.store(record, session: &session, now: now) {
                                case .inserted: report.inserted += 1
                                case .updated: report.updated += 1
                                case .unchanged: report.unchanged += 1
                                }
                            } catch let p as FieldProblem {
                                problems.append(.init(line: line, text: p.description))
                            }
                        }
                        rows += batch.count
                        if rows - reported >= 20_000, let progress {
                            reported = rows
                            progress(batch.progress.read, batch.progress.total)
                        }
                    }
                    if strict, !problems.isEmpty { throw StrictRollback() }
                    try indexes.restore(db)
                    return .commit
                }
            }
        } catch is StrictRollback {
            report.rolledBack = true
        } catch let e as DatabaseError where e.resultCode == .SQLITE_FULL {
            // The transaction is rolled back whole: what was stored before stays as it was.
            throw ImportFailure("\(name): disk full after \(rows) rows; nothing imported")
        }
        report.setProblems(problems, file: name)
        return report
    }

}

