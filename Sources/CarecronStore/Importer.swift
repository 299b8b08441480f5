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
        let csv: CSVRecordReader?, jsonl: JSONLinesRecordReader?
        do {
            csv = isJSONL ? nil : try CSVRecordReader(file)
            jsonl = isJSONL ? try JSONLinesRecordReader(file) : nil
        } catch let e as SourceFileError {
            throw ImportFailure("\(name):\(e.line): \(e.message)")
        } catch {
            throw ImportFailure("\(name): cannot be read")
        }
        if let csv { try checkHeader(csv.header, kind: kind, name: name) }
        let now = Int(self.now.now().timeIntervalSince1970)
        var rows = 0
        do {
            try store.db.write { db in
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS import_seen (id TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM import_seen;")
                defer { try? db.execute(sql: "DROP TABLE IF EXISTS import_seen") }
                var count = 0
                while true {
                    let record: SourceRecord?
                    do { record = try csv?.next() ?? jsonl?.next() } catch let e as SourceFileError {
                        // The file's structure is broken from here on: nothing after it can be trusted.
                        throw ImportFailure("\(name):\(e.line): \(e.message)")
                    }
                    guard let record else { break }
                    rows += 1
                    if let problem = record.problem {
                        report.skipped += 1
                        report.problems.append("\(name):\(record.line): \(problem)")
                        continue
                    }
                    do {
                        let outcome = try apply(kind, record.fields, db: db, now: now)
                        switch outcome {
                        case .inserted: report.inserted += 1
                        case .updated: report.updated += 1
                        case .unchanged: report.unchanged += 1
                        }
                    } catch let p as FieldProblem {
                        report.skipped += 1
                        report.problems.append("\(name):\(record.line): \(p)")
                    }
                    count += 1
                    if count % 20_000 == 0, let progress {
                        let p = csv?.progress ?? jsonl!.progress
                        progress(p.read, p.total)
                    }
                }
                if strict, report.skipped > 0 { throw StrictRollback() }
            }
        } catch is StrictRollback {
            report.rolledBack = true
        } catch let e as DatabaseError where e.resultCode == .SQLITE_FULL {
            // The transaction is rolled back whole: what was stored before stays as it was.
            throw ImportFailure("\(name): disk full after \(rows) rows; nothing imported")
        }
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

    private func checkHeader(_ header: [String], kind: ImportKind, name: String) throws {
        let known = kind == .customers ? CustomerRow.columns : OrderRow.columns
        let required = kind == .customers ? CustomerRow.requiredColumns : OrderRow.requiredColumns
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

    private func apply(_ kind: ImportKind, _ fields: [String: String], db: Database, now: Int) throws -> RecordWriter.Outcome {
        let id = try writer.validatedId(fields)
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO import_seen(id) VALUES (?)").execute(arguments: [id])
        guard db.changesCount == 1 else { throw FieldProblem(field: "id", reason: "\"\(id)\" appears twice in this file") }
        return try writer.upsert(kind, fields, db: db, now: now)
    }
}

public struct ImportFailure: CodedError, CustomStringConvertible {
    public var code: ErrorCode { .importRefused }
    public let description: String
    public init(_ d: String) { description = d }
}
