import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB

/// The import's other yardsticks (issue 14): what SQLite itself needs to put the same rows in
/// carecron's tables, the same files as JSON Lines, and a plain Python script doing the same work.
/// The bench's bare-SQL yardsticks: the one place outside CarecronSQLite that reaches SQLite
/// through GRDB, on purpose, to measure the floor under carecron's own import.
extension Performance {
    /// An empty store with carecron's schema, as the import finds it in a new shop.
    func emptyStore(_ shop: BenchShop, _ name: String) throws -> String {
        let path = shop.folder.appendingPathComponent(name).path
        _ = try Store(url: URL(fileURLWithPath: path))
        return path
    }

    /// The rows of `bare_KIND` (the `sqlite3 .import` table) put into carecron's own table by
    /// SQLite alone, in one transaction, its indexes built at the end as the import does:
    /// the floor under any import into this schema, whatever reads and checks the rows.
    func sqlFloor(_ shop: BenchShop, kind: String, bare: String, sqlite: String) throws -> Double {
        let store = try emptyStore(shop, "floor-\(kind).sqlite")
        let indexes = try DatabaseQueue(path: store).read { db in
            try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                             arguments: [kind]).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
        }
        let insert = kind == "customers" ? """
            INSERT INTO customers (id, full_name, gender, phone, email, birthday, birth_md, zalo_user_id, tier, opt_out, created_at, updated_at)
            SELECT id, full_name, gender, '+84' || substr(phone, 2), NULLIF(email, ''), NULLIF(birthday, ''), NULLIF(substr(birthday, 6), ''),
                   NULLIF(zalo_user_id, ''), NULLIF(tier, ''), opt_out, 1, 1 FROM b.bare_customers;
            """ : """
            INSERT INTO orders (id, customer_id, placed_at, amount, payment_method, status, paid_at, delivered_at, items, agent,
                                paid_after_expiry, created_at, updated_at)
            SELECT id, customer_id, unixepoch(placed_at), CAST(amount AS INTEGER), payment_method, status, unixepoch(NULLIF(paid_at, '')),
                   unixepoch(NULLIF(delivered_at, '')), items, NULLIF(agent, ''), 0, 1, 1 FROM b.bare_orders;
            """
        let script = [
            "ATTACH '\(bare)' AS b;", "PRAGMA ignore_check_constraints = ON;", "PRAGMA foreign_keys = OFF;", "BEGIN;",
        ] + indexes.map { "DROP INDEX \($0.name);" } + [insert] + indexes.map { $0.sql + ";" } + ["COMMIT;"]
        let (s, _, err) = try runToEnd(sqlite, [store, script.joined(separator: "\n")])
        guard s.status == 0 else { throw BenchError("sqlite3 floor for \(kind) failed: \(err)") }
        return s.wallSeconds
    }

    /// The CSV rewritten as JSON Lines (empty fields left out, as exports do), imported into a
    /// new store of its own: seconds.
    func jsonLinesImport(_ shop: BenchShop, data: URL) throws -> (customers: Double, orders: Double) {
        var seconds: [Double] = []
        let copy = try BenchShop(from: source)
        defer { copy.remove() }
        for kind in ["customers", "orders"] {
            let jsonl = data.appendingPathComponent("\(kind).jsonl")
            try Self.csvToJSONLines(data.appendingPathComponent("\(kind).csv"), jsonl)
            let (exit, _, err) = try runToEnd(binary, ["import", kind, jsonl.path, "--config", copy.config.path])
            guard exit.status == 0 else { throw BenchError("carecron import \(kind) (JSON Lines) failed: \(err)") }
            seconds.append(exit.wallSeconds)
        }
        return (seconds[0], seconds[1])
    }

    /// The bench's CSVs have no quoted fields, so a line splits at its commas. Streamed a chunk at
    /// a time: a child's peak memory on Linux includes the bench's own high-water mark at the time
    /// it was started (exec folds the parent's into it), so the bench itself must stay small.
    static func csvToJSONLines(_ csv: URL, _ jsonl: URL) throws {
        guard let input = FileHandle(forReadingAtPath: csv.path) else { throw BenchError("cannot read \(csv.path)") }
        defer { try? input.close() }
        _ = FileManager.default.createFile(atPath: jsonl.path, contents: nil)
        let out = try FileHandle(forWritingTo: jsonl)
        defer { try? out.close() }
        var header: [String]?
        var pending = Data(), chunk = ""
        func convert(_ line: Data) {
            var text = String(decoding: line, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            let fields = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let header else { header = fields; return }
            let pairs = zip(header, fields).filter { !$0.1.isEmpty }.map { "\"\($0.0)\": \"\($0.1)\"" }
            chunk += "{" + pairs.joined(separator: ", ") + "}\n"
        }
        while let data = try input.read(upToCount: 1 << 20), !data.isEmpty {
            pending.append(data)
            var start = pending.startIndex
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                if nl > start { convert(pending[start..<nl]) }
                start = nl + 1
            }
            pending = Data(pending[start...])
            if chunk.utf8.count > 1 << 20 { out.write(Data(chunk.utf8)); chunk = "" }
        }
        if !pending.isEmpty { convert(pending) }
        out.write(Data(chunk.utf8))
    }

    /// `bench/import_baseline.py` on the same files into an empty store: seconds, or nil
    /// without python3 or the script.
    func pythonImport(_ shop: BenchShop, data: URL) throws -> Double? {
        let script = source.deletingLastPathComponent().appendingPathComponent("bench/import_baseline.py").path
        guard let python = which("python3"), FileManager.default.fileExists(atPath: script) else {
            print("python3 or bench/import_baseline.py not found: no Python yardstick for the import")
            return nil
        }
        let store = try emptyStore(shop, "python.sqlite")
        let (exit, out, err) = try runToEnd(python, [script, store, data.appendingPathComponent("customers.csv").path,
                                                     data.appendingPathComponent("orders.csv").path])
        guard exit.status == 0 else { throw BenchError("bench/import_baseline.py failed: \(err)") }
        guard out.contains("'skipped': 0") else { throw BenchError("bench/import_baseline.py skipped rows: \(out)") }
        return exit.wallSeconds
    }
}
