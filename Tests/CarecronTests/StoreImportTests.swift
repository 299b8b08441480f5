import CarecronDomain
@testable @_spi(Testing) import CarecronSQLite
@testable import CarecronStorage
import Foundation
import GRDB
import Testing

@Suite("Store and import")
struct StoreImportTests {
    let clock = TestSupport.saigon

    func freshStore() throws -> (Store, URL) {
        let dir = TestSupport.temporaryFolder()
        return (try Store(url: dir.appendingPathComponent("var/carecron.sqlite")), dir)
    }

    /// A fresh store holding the basic scenario's customers, for the order-import tests.
    func storeWithScenarioCustomers() throws -> (Store, URL, Importer) {
        let (store, dir) = try freshStore()
        let importer = Importer(store: store, clock: clock)
        _ = try importer.run(.customers, file: TestSupport.basicScenario.appendingPathComponent("customers.csv"))
        return (store, dir, importer)
    }

    func write(_ text: String, _ name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func count(_ store: Store, _ table: String) throws -> Int {
        try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)")! }
    }

    @Test func databaseIsPrivateWALWithForeignKeys() throws {
        let (store, _) = try freshStore()
        let mode = try FileManager.default.attributesOfItem(atPath: store.url.path)[.posixPermissions] as! Int
        #expect(mode & 0o777 == 0o600)
        let folderMode = try FileManager.default.attributesOfItem(atPath: store.url.deletingLastPathComponent().path)[.posixPermissions] as! Int
        #expect(folderMode & 0o077 == 0)
        #expect(try store.db.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try store.db.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") } == 1)
        #expect(try store.db.read { try Schema.migrator.appliedMigrations($0) } == ["v1-core", "v2-outbox-keys", "v3-service", "v4-webhooks", "v5-reminders-sent", "v6-platform-updated", "v7-audit", "v8-campaigns", "v9-outbox-retention", "v10-campaign-purged", "v11-store-id", "v12-customer-search", "v13-receipts", "v14-after-sending", "v15-surveys", "v16-outcome-ledger", "v17-calls", "v18-conversations"])
    }

    @Test func importsTheScenarioNormalised() throws {
        let (store, _) = try freshStore()
        let importer = Importer(store: store, clock: clock)
        let customers = try importer.run(.customers, file: TestSupport.basicScenario.appendingPathComponent("customers.csv"))
        let orders = try importer.run(.orders, file: TestSupport.basicScenario.appendingPathComponent("orders.csv"))
        #expect(customers == ImportReport(inserted: 13))
        #expect(orders == ImportReport(inserted: 13))
        try store.db.read { db in
            let c3 = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = 'C003'")!
            #expect(c3["phone"] as String? == "+84385551234", "0168 → 038 (2018 renumbering)")
            #expect(c3["gender"] as String? == "unknown")
            let c2 = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = 'C002'")!
            #expect(c2["phone"] as String? == "+84903111222")
            #expect(c2["birth_md"] as String? == "02-29")
            let c4 = try Row.fetchOne(db, sql: "SELECT * FROM customers WHERE id = 'C004'")!
            #expect(c4["opt_out"] as String? == "marketing")
            let d11 = try Row.fetchOne(db, sql: "SELECT * FROM orders WHERE id = 'D11'")!
            #expect(d11["paid_at"] as Int? == Int(TestSupport.instant("2026-12-01T11:00:00+07:00").timeIntervalSince1970))
            #expect(d11["items"] as String? == "Kem tay x1")
        }
    }

    @Test func importingTwiceChangesNothingAndAChangedRowIsUpdated() throws {
        let (store, dir) = try freshStore()
        let importer = Importer(store: store, clock: clock)
        let file = TestSupport.basicScenario.appendingPathComponent("customers.csv")
        _ = try importer.run(.customers, file: file)
        let before = try store.db.read { try Row.fetchAll($0, sql: "SELECT * FROM customers ORDER BY id") }
        #expect(try importer.run(.customers, file: file) == ImportReport(unchanged: 13))
        #expect(try store.db.read { try Row.fetchAll($0, sql: "SELECT * FROM customers ORDER BY id") } == before)
        let changed = try write("""
            id,full_name,gender,phone,email,birthday,zalo_user_id,tier,opt_out
            C001,Trần Thị Lan,female,0912345678,LAN.NEW@Example.vn,1994-12-01,,Gold,none
            """, "changed.csv", in: dir)
        #expect(try importer.run(.customers, file: changed) == ImportReport(updated: 1))
        #expect(try store.db.read { try String.fetchOne($0, sql: "SELECT email FROM customers WHERE id='C001'") } == "lan.new@example.vn")
    }

    @Test func badRowsAreReportedWithFileLineAndFieldAndSkipped() throws {
        let (store, dir, importer) = try storeWithScenarioCustomers()
        let file = try write("""
            id,customer_id,placed_at,amount,payment_method,status,paid_at,delivered_at,items,agent
            X1,C001,2026-12-01T08:15:00+07:00,450000,prepaid,pending,,,Son x1,
            X2,C999,2026-12-01T08:15:00+07:00,450000,prepaid,pending,,,Son x1,
            X3,C001,2026-13-01T08:15:00+07:00,450000,prepaid,pending,,,Son x1,
            X4,C001,2026-12-01T08:15:00+07:00,-5,prepaid,pending,,,Son x1,
            X1,C001,2026-12-01T08:15:00+07:00,450000,prepaid,pending,,,Son x1,
            "X5",C001,2026-12-01 09:00,120000,cod,pending,,,"Kem ""mát""
            x2",Mai
            X6,C001,2026-12-01T08:15:00+07:00,450000,prepaid,payed,,,Son x1,
            """, "orders.csv", in: dir)
        let report = try importer.run(.orders, file: file, displayName: "orders.csv")
        #expect(report.problems == [
            "orders.csv:3: customer_id: unknown customer \"C999\" (import customers first)",
            "orders.csv:4: placed_at: \"2026-13-01T08:15:00+07:00\" is not a time; write e.g. 2026-12-01T08:15:00+07:00 (or without the offset for shop time)",
            "orders.csv:5: amount: \"-5\" is negative",
            "orders.csv:6: id: \"X1\" appears twice in this file",
            "orders.csv:9: status: \"payed\" is not one of pending, paid, delivered, cancelled, returned, expired (did you mean paid?)",
        ])
        #expect(report.inserted == 2 && report.skipped == 5)
        try store.db.read { db in
            let x5 = try Row.fetchOne(db, sql: "SELECT * FROM orders WHERE id = 'X5'")!
            #expect(x5["items"] as String? == "Kem \"mát\"\nx2")
            #expect(x5["placed_at"] as Int? == Int(TestSupport.instant("2026-12-01T09:00:00+07:00").timeIntervalSince1970), "local shop time")
        }
    }

    /// DOMAIN.md §2: a payment that arrives after expiry is recorded and flagged, never lost.
    @Test func paymentAfterExpiryIsKeptAndFlagged() throws {
        let (store, dir, importer) = try storeWithScenarioCustomers()
        let file = try write("""
            id,customer_id,placed_at,amount,payment_method,status,paid_at,delivered_at,items,agent
            L1,C001,2026-12-01T08:15:00+07:00,450000,prepaid,paid,2026-12-02T09:00:00+07:00,,Son x1,
            L2,C001,2026-12-01T08:15:00+07:00,450000,prepaid,paid,2026-12-02T08:00:00+07:00,,Son x1,
            """, "late.csv", in: dir)
        #expect(try importer.run(.orders, file: file).inserted == 2)
        let flags = try store.db.read { try Row.fetchAll($0, sql: "SELECT id, paid_at, paid_after_expiry FROM orders ORDER BY id") }
        #expect(flags.map { $0["paid_after_expiry"] as Int } == [1, 0])
        #expect(flags.allSatisfy { ($0["paid_at"] as Int?) != nil })
    }

    @Test func badPhoneIsNamed() throws {
        let (store, dir) = try freshStore()
        let file = try write("""
            id,full_name,gender,phone,email,birthday,zalo_user_id,tier,opt_out
            A1,Ngô Thị Ánh,female,0130 555 1234,,,,,none
            A2,Mai Anh Tuấn,male,0944555666,not-an-email,,,,none
            A3,Lý Thu Trang,female,0398765432,,1990-02-30,,,none
            A4,Phan Văn Đức,male,0868111000,,,,,sometimes
            """, "c.csv", in: dir)
        let report = try Importer(store: store, clock: clock).run(.customers, file: file, displayName: "c.csv")
        #expect(report.problems.map { $0.split(separator: ":").prefix(3).joined(separator: ":") } ==
                ["c.csv:2: phone", "c.csv:3: email", "c.csv:4: birthday", "c.csv:5: opt_out"])
        #expect(report.problems[0].contains("0130"))
    }

    @Test func strictImportsNothingUnlessEveryRowIsGood() throws {
        let (store, dir) = try freshStore()
        let file = try write("""
            id,full_name,phone
            A1,Ngô Thị Ánh,0707654321
            A2,Mai Anh Tuấn,12
            """, "c.csv", in: dir)
        let report = try Importer(store: store, clock: clock).run(.customers, file: file, strict: true)
        #expect(report.rolledBack && report.skipped == 1)
        #expect(try count(store, "customers") == 0)
    }

    @Test func headerProblemsStopTheWholeFile() throws {
        let (store, dir) = try freshStore()
        let file = try write("id,full_name,phon\nA1,Ngô Thị Ánh,0707654321\n", "c.csv", in: dir)
        #expect {
            try Importer(store: store, clock: clock).run(.customers, file: file, displayName: "c.csv")
        } throws: { "\($0)".contains("c.csv:1: phon: unknown column (did you mean phone?)") }
        #expect(try count(store, "customers") == 0)
    }

    @Test func jsonLinesImportTheSameRecords() throws {
        let (store, dir) = try freshStore()
        let importer = Importer(store: store, clock: clock)
        let customers = try write("""
            {"id": "J1", "full_name": "Trần Thị Lan", "gender": "female", "phone": "0912345678", "birthday": "1994-12-01", "opt_out": null}

            {"id": "J2", "full_name": "Nguyễn Văn Hùng", "phone": "+84 903 111 222", "opt_out": "all"}
            {"id": "J3", "full_name": "Bad", "phone": "12"}
            """, "c.jsonl", in: dir)
        let r = try importer.run(.customers, file: customers, displayName: "c.jsonl")
        #expect(r.inserted == 2 && r.problems == ["c.jsonl:4: phone: \"12\" has the wrong number of digits for a Vietnamese phone"])
        let orders = try write("""
            {"id": "JO1", "customer_id": "J1", "placed_at": "2026-12-01T08:15:00+07:00", "amount": 450000, "payment_method": "prepaid", "status": "pending"}
            """, "o.jsonl", in: dir)
        #expect(try importer.run(.orders, file: orders).inserted == 1)
        #expect(try store.db.read { try Int.fetchOne($0, sql: "SELECT amount FROM orders WHERE id='JO1'") } == 450_000)
    }

    /// The jobs' queries use their indexes: nothing scans a million customers.
    @Test func jobQueriesUseIndexes() throws {
        let (store, _) = try freshStore()
        func plan(_ sql: String) throws -> String {
            try store.db.read { db in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ") }
        }
        #expect(try plan("SELECT id FROM customers WHERE birth_md IN ('02-28', '02-29')").contains("customers_birth_md"))
        #expect(try plan("SELECT id FROM orders WHERE paid_at IS NULL AND status IN ('pending') AND expired_at IS NULL AND placed_at < 5").contains("orders_unpaid_placed"))
        #expect(try plan("SELECT id FROM orders WHERE delivered_at IS NOT NULL AND delivered_at BETWEEN 1 AND 2").contains("orders_delivered"))
        #expect(try plan("SELECT id FROM outbox WHERE state IN ('planned', 'failed', 'sending') AND next_attempt_at <= 5 ORDER BY next_attempt_at").contains("outbox_state_due"))
    }

    @Test func outboxIdempotencyKeyIsUnique() throws {
        let (store, _) = try freshStore()
        let insert = """
            INSERT INTO outbox (idempotency_key, job, channel, recipient, body, due_at, next_attempt_at, created_at, updated_at)
            VALUES ('payment-reminder:D01:1', 'payment-reminder', 'sms', '+84912345678', 'x', 1, 1, 1, 1)
            """
        try store.db.write { try $0.execute(sql: insert) }
        #expect(throws: DatabaseError.self) { try store.db.write { try $0.execute(sql: insert) } }
    }
}
