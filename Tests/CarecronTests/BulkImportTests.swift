import CarecronDomain
@testable @_spi(Testing) import CarecronSQLite
@testable import CarecronStorage
import Foundation
import GRDB
import Testing

/// The import's fast paths (issue 14) checked against the general rules they shortcut, and a
/// file big enough to be loaded in bulk (indexes built at the end, ids and customers checked in
/// memory, a reading thread) giving the same report and rows as a small one.
@Suite("Bulk import")
struct BulkImportTests {
    let clock = TestSupport.saigon

    // MARK: shortcuts against the rules they stand for

    @Test func isoInstantsReadFromBytesAgreeWithFoundation() {
        var g = SystemRandomNumberGenerator()
        let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        for _ in 0..<3000 {
            let y = Int.random(in: 1900...2100, using: &g), mo = Int.random(in: 1...12, using: &g), d = Int.random(in: 1...31, using: &g)
            let h = Int.random(in: 0...23, using: &g), mi = Int.random(in: 0...59, using: &g), s = Int.random(in: 0...59, using: &g)
            let offset = [
                "Z", "+07:00", "-05:30", "+00:00", "+14:00", "-11:45",
            ].randomElement(using: &g)!
            let text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, s) + offset
            let expected = try? foundation.parse(text)
            let ours = InstantFormat.parse(text, clock: clock)
            // Foundation reads a day the month lacks as one of the next month's; carecron refuses it (issue 24).
            if d > LocalDate.daysIn(month: mo, year: y) { #expect(ours == nil, "\(text)") } else { #expect(ours == expected, "\(text)") }
        }
        // Shapes the byte reader leaves alone still read as before.
        #expect(InstantFormat.parse("2026-12-01T08:15:00.250+07:00", clock: clock) != nil)
        #expect(InstantFormat.parse("2026-12-01 08:15", clock: clock) == InstantFormat.parse("2026-12-01T08:15:00+07:00", clock: clock))
        // Foundation reads 30 February as 2 March and 24:00 as the next midnight; carecron reads neither.
        #expect((try? foundation.parse("2026-02-30T08:15:00+07:00")) != nil && InstantFormat.parse("2026-02-30T08:15:00+07:00", clock: clock) == nil)
        #expect(InstantFormat.parse("2026-12-01T24:00:00+07:00", clock: clock) == nil)
    }

    @Test func tidyNamesAreKeptExactlyAsTheGeneralRuleWouldWriteThem() {
        var g = SystemRandomNumberGenerator()
        let pieces = ["Lan", "Trần", "Thị", "Nguyễn", "Đức", "ơ", "ư", "a", "e\u{0301}", "\u{0301}", " ", " ", "  ", "\t", "\u{00A0}",
                      "\u{2003}", "\n", "Æ", "ß", "😀", "中", "O'Neil", "-", ".", "Ỷ", "\u{1E9E}", "\r\n"]
        for _ in 0..<5000 {
            let raw = (0..<Int.random(in: 0...6, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
            let general = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ").nfc
            #expect(CustomerName(raw).full == general, "\(raw.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func utf8CheckAgreesWithTheStandardLibrary() {
        var g = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0, 0x9F, 0x90, 0x8F]
        for _ in 0..<20000 {
            let bytes = (0..<Int.random(in: 0...8, using: &g)).map { _ in
                Bool.random(using: &g) ? interesting.randomElement(using: &g)! : UInt8.random(in: 0...255, using: &g)
            }
            let ours = bytes.withUnsafeBufferPointer { UTF8Check.isValid($0) }
            #expect(ours == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test func seenIdsIsExactThroughItsGrowth() {
        var g = SystemRandomNumberGenerator()
        var ours = SeenIds(capacity: 4), reference = Set<String>()
        for _ in 0..<50_000 {
            let id = "C" + String(Int.random(in: 0..<30_000, using: &g)) + (Bool.random(using: &g) ? "" : "-x")
            #expect(ours.insert(id) == reference.insert(id).inserted)
        }
        #expect(ours.count == reference.count)
        for probe in ["C1", "C29999-x", "nope", ""] { #expect(ours.contains(probe) == reference.contains(probe)) }
    }

    // MARK: a file loaded in bulk

    func freshStore() throws -> (Store, URL) {
        let dir = TestSupport.temporaryFolder()
        return (try Store(url: dir.appendingPathComponent("var/carecron.sqlite")), dir)
    }

    func indexes(_ store: Store) throws -> [String] {
        try store.db.read { try String.fetchAll($0, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name") }
    }

    /// `n` customers (well over `ImportFile.bulkRows` lines), with a quoted name, a CRLF line, a
    /// repeated id, a bad phone and a name with spaces to tidy spread over several batches.
    func customersFile(_ n: Int, in dir: URL) throws -> URL {
        var lines = ["id,full_name,gender,phone,email,birthday,zalo_user_id,tier,opt_out"]
        for i in 0..<n {
            switch i {
            case 7: lines.append("C\(i),\"Trần, Thị Lan\",female,0912345678,Lan@Example.VN,01/12/1990,,Gold,none")
            case 8: lines.append("C\(i),Lê Văn Hùng,male,+84 90 311 1222,,--02-29,,,marketing\r")
            case 5000: lines.append("C3,Trùng Mã,female,0912000000,,,,,none")
            case 12_345: lines.append("C\(i),Phạm Thu,female,12345,,,,,none")
            case 20_001: lines.append("C\(i),  Ngô   Bảo  ,Nam,0168 555 1234,,1985-07-04,,,")
            default: lines.append("C\(i),Vũ Thị Lan \(i),female,09\(String(format: "%08d", i)),,1980-03-11,,Standard,none")
            }
        }
        let url = dir.appendingPathComponent("customers.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func aBigFileGivesTheSameReportRowsAndIndexesAsRowByRow() throws {
        let (store, dir) = try freshStore()
        let before = try indexes(store)
        let file = try customersFile(30_000, in: dir)
        #expect(ImportFile.expectedRows(file) >= ImportFile.bulkRows, "the file is loaded in bulk")
        let report = try Importer(store: store, clock: clock).run(.customers, file: file, displayName: "customers.csv")
        #expect(report.inserted == 29_998)
        #expect(report.skipped == 2)
        #expect(report.problems.count == 2)
        #expect(report.problems[0] == "customers.csv:5002: id: \"C3\" appears twice in this file")
        #expect(report.problems[1].hasPrefix("customers.csv:12347: phone: "))
        #expect(try indexes(store) == before, "every index is back, as it was defined")
        try store.db.read { db in
            let quoted = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = 'C7'")!
            #expect(quoted["full_name"] as String == "Trần, Thị Lan")
            #expect(quoted["email"] as String == "lan@example.vn")
            #expect(quoted["birthday"] as String == "1990-12-01")
            let crlf = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = 'C8'")!
            #expect(crlf["opt_out"] as String == "marketing")
            #expect(crlf["phone"] as String == "+84903111222")
            #expect(crlf["birth_md"] as String == "02-29")
            let tidied = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = 'C20001'")!
            #expect(tidied["full_name"] as String == "Ngô Bảo")
            #expect(tidied["gender"] as String == "male")
            #expect(tidied["phone"] as String == "+84385551234")
            // The indexes answer: the planner's birthday lookup uses one.
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM customers INDEXED BY customers_birth_md WHERE birth_md = '03-11'")! > 29_000)
        }
        // Again: nothing changes, and a small file (row by row) says the same of its rows.
        let again = try Importer(store: store, clock: clock).run(.customers, file: file, displayName: "customers.csv")
        #expect(again.unchanged == 29_998 && again.inserted == 0 && again.updated == 0 && again.skipped == 2)
        #expect(try indexes(store) == before)
    }

    @Test func aBigStrictFileWithOneBadRowLeavesTheStoreAndItsIndexesUntouched() throws {
        let (store, dir) = try freshStore()
        _ = try Importer(store: store, clock: clock).run(.customers, file: TestSupport.basicScenario.appendingPathComponent("customers.csv"))
        let before = try indexes(store)
        let count = try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM customers")! }
        let report = try Importer(store: store, clock: clock).run(.customers, file: try customersFile(25_000, in: dir), strict: true)
        #expect(report.rolledBack)
        #expect(try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM customers")! } == count)
        #expect(try indexes(store) == before)
    }

    @Test func aBigFileOfOrdersChecksEachCustomerAndKeepsTheForeignKeys() throws {
        let (store, dir) = try freshStore()
        let importer = Importer(store: store, clock: clock)
        _ = try importer.run(.customers, file: try customersFile(25_000, in: dir))
        var lines = ["id,customer_id,placed_at,amount,payment_method,status,paid_at,delivered_at,items,agent"]
        for i in 0..<25_000 {
            let customer = i == 17_000 ? "C-nobody" : "C\(100 + i % 4000)"
            let placed = i == 3 ? "2026-11-29 09:33" : "2026-11-29T09:33:00+07:00"
            lines.append("O\(i),\(customer),\(placed),1.290.000,cod,pending,,,Phấn phủ x1,")
        }
        let file = dir.appendingPathComponent("orders.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let report = try importer.run(.orders, file: file, displayName: "orders.csv")
        #expect(report.inserted == 24_999)
        #expect(report.problems == ["orders.csv:17002: customer_id: unknown customer \"C-nobody\" (import customers first)"])
        try store.db.read { db in
            let local = try Row.fetchOne(db, sql: "SELECT placed_at, amount FROM orders WHERE id = 'O3'")!
            let offset = try Row.fetchOne(db, sql: "SELECT placed_at FROM orders WHERE id = 'O4'")!
            #expect(local["placed_at"] as Int == offset["placed_at"] as Int, "shop time without an offset is +07:00")
            #expect(local["amount"] as Int == 1_290_000)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
        }
        // The foreign keys are on again for the store's next writer: erasing a customer takes their orders.
        #expect(try store.forget(customerId: "C5", now: Date()))
        #expect(try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM orders WHERE customer_id = 'C5'")! } == 0)
        try store.db.write { db in
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO orders (id, customer_id, placed_at, amount, payment_method, status, created_at, updated_at) VALUES ('X', 'C-nobody', 0, 0, 'cod', 'pending', 0, 0)")
            }
            #expect(throws: DatabaseError.self, "the CHECK constraints hold again too") {
                try db.execute(sql: "UPDATE customers SET gender = 'robot' WHERE id = 'C6'")
            }
        }
    }

    @Test func aBigJSONLinesFileReadsTheSameAsItsCSV() throws {
        let (csvStore, dir) = try freshStore()
        let (jsonStore, _) = try freshStore()
        let csv = try customersFile(22_000, in: dir)
        let jsonl = dir.appendingPathComponent("customers.jsonl")
        let text = try String(contentsOf: csv, encoding: .utf8)
        // By scalars: "\r\n" is one Character, which a split at "\n" would not cut.
        var rows = text.unicodeScalars.split(separator: "\n").map { String(String.UnicodeScalarView($0)) }.makeIterator()
        let header = rows.next()!.split(separator: ",").map(String.init)
        var out = ""
        for row in rows where !row.contains("\"") {
            let fields = row.replacingOccurrences(of: "\r", with: "").split(separator: ",", omittingEmptySubsequences: false)
            let pairs = zip(header, fields).filter { !$0.1.isEmpty }.map { "\"\($0.0)\": \"\($0.1)\"" }
            out += "{" + pairs.joined(separator: ", ") + "}\n"
        }
        try out.write(to: jsonl, atomically: true, encoding: .utf8)
        let a = try Importer(store: csvStore, clock: clock).run(.customers, file: csv)
        let b = try Importer(store: jsonStore, clock: clock).run(.customers, file: jsonl)
        #expect(a.inserted == b.inserted + 1, "the quoted CSV row was left out of the JSON Lines")
        #expect(a.skipped == b.skipped)
        let query = "SELECT id, full_name, gender, phone, email, birthday, birth_md, tier, opt_out FROM customers WHERE id <> 'C7' ORDER BY id"
        #expect(try csvStore.db.read { try Row.fetchAll($0, sql: query) } == jsonStore.db.read { try Row.fetchAll($0, sql: query) })
    }
}
