import CarecronDomain
import Foundation
import GRDB

public enum ImportKind: String, Sendable, CaseIterable {
    case customers, orders
}

public struct ImportReport: Sendable, Equatable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var skipped = 0
    /// `FILE:LINE: field: reason`, in file order.
    public var problems: [String] = []
    /// Set when --strict refused the whole file.
    public var rolledBack = false

    public var summary: String {
        let counts = "\(inserted) inserted, \(updated) updated, \(unchanged) unchanged, \(skipped) skipped"
        return rolledBack ? "nothing imported (--strict): \(skipped) bad rows; would have been \(counts)" : counts
    }
}

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
        let name = displayName ?? file.path
        var report = ImportReport()
        let isJSONL = file.pathExtension.lowercased() == "jsonl"
        try Self.checkReadable(file, name: name)
        let source: RecordSource
        do {
            if isJSONL {
                source = try JSONLinesRecordReader(file, kind: kind)
            } else {
                let csv = try CSVRecordReader(file, kind: kind)
                try checkHeader(csv.header, kind: kind, name: name)
                source = csv
            }
        } catch let e as SourceFileError {
            throw ImportFailure("\(name):\(e.line): \(e.message)")
        } catch let e as ImportFailure {
            throw e
        } catch {
            throw ImportFailure("\(name): cannot be read")
        }
        let now = Int(self.now.now().timeIntervalSince1970)
        var rows = 0
        var problems: [ReadBatch.Problem] = []
        let expectedRows = Self.expectedRows(file)
        // A big file of orders checks each order's customer against the ids read once, and
        // SQLite's own foreign-key lookup (the same check, a disk read an order) is off for it.
        let customersInMemory = kind == .orders && expectedRows >= Self.bulkRows
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
                    let reader = ReadAhead(source: source, kind: kind, writer: writer)
                    defer { reader.cancel() }
                    let indexes = try DeferredIndexes(kind.rawValue, expectedRows: expectedRows, db: db)
                    let known = customersInMemory ? try SeenIds.all("SELECT id FROM customers", db: db) : nil
                    var session = try RecordWriter.Session(kind, db: db, knownCustomers: known)
                    var reported = 0
                    while true {
                        let batch: ReadBatch?
                        do { batch = try reader.next() } catch let e as SourceFileError {
                            // The file's structure is broken from here on: nothing after it can be trusted.
                            throw ImportFailure("\(name):\(e.line): \(e.message)")
                        }
                        guard let batch else { break }
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
                    report.skipped = problems.count
                    if strict, report.skipped > 0 { throw StrictRollback() }
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
        // A batch's own problems come before those its writing found: back into file order.
        report.problems = problems.sorted { $0.line < $1.line }.map { "\(name):\($0.line): \($0.text)" }
        return report
    }

    /// A path that is no file says so in words, before a reader turns it into Cocoa's codes.
    static func checkReadable(_ file: URL, name: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory) else {
            throw ImportFailure("\(name): no such file")
        }
        if isDirectory.boolValue { throw ImportFailure("\(name): is a directory, not a CSV or .jsonl file") }
        if access(file.path, R_OK) != 0 {
            throw ImportFailure("\(name): cannot be read: \(String(cString: strerror(errno))) (\(StoreFile.ownership(file.path)))")
        }
    }

    /// From this many rows on, a file is imported as a bulk load (see `DeferredIndexes`).
    static let bulkRows = 20_000

    /// About how many rows a file holds (a row of either kind is some 80 to 120 bytes).
    static func expectedRows(_ file: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0) / 100
    }

    private func checkHeader(_ header: [String], kind: ImportKind, name: String) throws {
        let known = kind.columns, required = kind.requiredColumns
        var problems: [String] = []
        for column in header where !known.contains(column) {
            let hint = Suggest.closest(to: column, among: known).map { " (did you mean \($0)?)" } ?? ""
            problems.append("\(name):1: \(SourceLimits.cut(column)): unknown column\(hint); the columns are \(known.joined(separator: ","))")
        }
        for column in required where !header.contains(column) {
            problems.append("\(name):1: \(column): required column is missing")
        }
        if Set(header).count != header.count { problems.append("\(name):1: a column appears twice in the header") }
        if !problems.isEmpty { throw ImportFailure(problems.joined(separator: "\n")) }
    }
}

public struct ImportFailure: CodedError, CustomStringConvertible {
    public var code: ErrorCode { .importRefused }
    public let description: String
    public init(_ d: String) { description = d }
}
