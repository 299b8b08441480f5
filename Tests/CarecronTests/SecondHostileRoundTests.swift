import CarecronService
@_spi(Testing) import CarecronSQLite
import CarecronStorage
import CarecronDomain
import Foundation
@testable import CarecronDelivery
import CarecronPostgres
import GRDB
import Testing

/// Issue 24: what a hostile tester and a marketer found on the landed code, each through the
/// real binary where the tester used it.
@Suite("A hostile tester, second round", .serialized)
struct SecondHostileRoundTests {
    typealias Service = ServiceTests.Service

    static func store(_ s: Service) throws -> Store {
        try Store(url: s.folder.appendingPathComponent("var/carecron.sqlite"), readOnly: true)
    }

    static func shopifyOrder(id: Int, price: Any, name: String = "Lan") -> [String: Any] {
        ["id": id, "created_at": ServiceTests.placed(minutesAgo: 30), "total_price": price, "financial_status": "pending",
         "gateway": "bank_transfer", "customer": ["id": 77, "first_name": name, "last_name": "Trần Thị", "phone": "0912 345 678"],
         "line_items": [["title": "Kem chống nắng", "quantity": 2]]]
    }

    // MARK: 1, 11. Webhooks

    @Test func webhookAmountsThatAreNoNumberAreRefusedAndTheServiceLives() throws {
        let s = try Service()
        try s.start()
        for (i, price) in [("1e300", "1e300"), ("nan", "nan"), ("199.50", "fraction")].enumerated() {
            let reply = try HostileTesterTests.post(s, "shopify", topic: "orders/create", Self.shopifyOrder(id: 9000 + i, price: price.0), id: "a-\(i)")
            #expect(reply.status == 400 && reply.body["field"] as? String == "total_price", "\(price.0): \(reply.body)")
            #expect((reply.body["reason"] as? String ?? "").contains(price.1 == "fraction" ? "fraction of a đồng" : "is not an amount"))
        }
        // Haravan sends a number: 1e300 is a double no Int holds.
        let haravan = try HostileTesterTests.post(s, "haravan", topic: "orders/create", Self.shopifyOrder(id: 9100, price: 1e300), id: "h-1")
        #expect(haravan.status == 400 && haravan.body["field"] as? String == "total_price", "\(haravan.body)")
        #expect(try s.call("GET", "/healthz", token: nil).status == 200, "the service is alive")
        // Shopify's and Haravan's prices read the same.
        #expect(try HostileTesterTests.post(s, "shopify", topic: "orders/create", Self.shopifyOrder(id: 9200, price: "403000.00"), id: "w-1")
            .body["outcome"] as? String == "applied")
        #expect(try HostileTesterTests.post(s, "haravan", topic: "orders/create", Self.shopifyOrder(id: 9201, price: 1_250_000), id: "w-1")
            .body["outcome"] as? String == "applied", "another platform's delivery with the same id is another delivery")
        let amounts = try Self.store(s).db.read { try [String: Int](uniqueKeysWithValues: Row.fetchAll($0, sql: "SELECT id, amount FROM orders WHERE id LIKE '92%'").map { ($0[0], $0[1]) }) }
        #expect(amounts == ["9200": 403_000, "9201": 1_250_000])
        let nul = try HostileTesterTests.post(s, "shopify", topic: "orders/create", Self.shopifyOrder(id: 9300, price: "1.00", name: "L\u{0}an"), id: "n-1")
        #expect(nul.status == 400 && nul.body["field"] as? String == "full_name", "\(nul.body)")
        #expect(s.stop() == 0)
    }

    // MARK: 2, 5, 9. The API

    @Test func apiAmountsReadOneWayAndPathIdsAreDecoded() throws {
        let s = try Service()
        try s.start()
        func put(_ id: String, _ amount: String) throws -> Service.Reply {
            try s.call("PUT", "/v1/orders/\(id)", "{\"customer_id\": \"C001\", \"placed_at\": \"\(ServiceTests.placed(minutesAgo: 30))\", \"amount\": \"\(amount)\"}")
        }
        let big = try put("BIG1", "5000000000000000000")
        #expect(big.status == 400 && big.body["field"] as? String == "amount" && (big.body["reason"] as? String ?? "").contains("largest amount"), "\(big.body)")
        #expect(try put("V1", "150.000").status == 201)
        #expect(try put("V2", "1,250,000.00").status == 201)
        let fraction = try put("V3", "199.50")
        #expect(fraction.status == 400 && (fraction.body["reason"] as? String ?? "").contains("fraction of a đồng"))
        let amounts = try Self.store(s).db.read { try [String: Int](uniqueKeysWithValues: Row.fetchAll($0, sql: "SELECT id, amount FROM orders").map { ($0[0], $0[1]) }) }
        #expect(amounts == ["V1": 150_000, "V2": 1_250_000])

        // Path ids are what the client meant, percent-encoded or not.
        #expect(try s.call("PUT", "/v1/customers/KH%2001", "{\"full_name\": \"Lê Văn Tám\"}").status == 201)
        #expect(try s.call("PUT", "/v1/customers/KH%C3%A1ch", "{\"full_name\": \"Phạm Thu Hà\"}").status == 201)
        let ids = try Self.store(s).db.read { try String.fetchAll($0, sql: "SELECT id FROM customers WHERE id LIKE 'KH%'") }
        #expect(Set(ids) == ["KH 01", "KHách"], "\(ids)")
        let erased = try s.call("DELETE", "/v1/customers/KH%C3%A1ch")
        #expect(erased.status == 200 && erased.body["id"] as? String == "KHách", "\(erased.body)")
        #expect(try Self.store(s).db.read { try String.fetchAll($0, sql: "SELECT id FROM customers WHERE id LIKE 'KH%'") } == ["KH 01"])
        #expect(try s.call("PUT", "/v1/customers/KH%C3%28", "{\"full_name\": \"Lan\"}").status == 400, "not UTF-8")
        #expect(s.stop() == 0)
    }

    /// Rows stored before amounts were bounded (or written by hand) must not stop anything.
    @Test func amountsPastIntMaxInTheStoreStopNothing() throws {
        let s = try Service()
        let url = s.folder.appendingPathComponent("var/carecron.sqlite")
        let placed = Int(Date().timeIntervalSince1970) - 1800
        try Store(url: url).db.write { db in
            for id in ["BIG1", "BIG2"] {
                try db.execute(sql: """
                    INSERT INTO orders (id, customer_id, placed_at, amount, payment_method, status, items, created_at, updated_at)
                    VALUES (?, 'C001', ?, 5000000000000000000, 'prepaid', 'pending', 'Son x1', ?, ?)
                    """, arguments: [id, placed, placed, placed])
            }
        }
        let now = ISO8601DateFormatter().string(from: Date())
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))
        let simulate = try TestSupport.carecron(["simulate", "--from", now, "--to", later, "--format", "jsonl"], in: s.folder)
        #expect(simulate.status == 0, "\(simulate.stderr)")
        #expect(simulate.stdout.contains("BIG1"), "the orders are planned: \(simulate.stdout.prefix(500))")
        let preview = try TestSupport.carecron(["preview", "payment-reminder"], in: s.folder)
        #expect(preview.status == 0, "\(preview.stderr)")
        // The service plans them (one reminder for both: the sum saturates) and goes on.
        try s.start()
        try s.waitFor("the reminder to be planned") {
            try Self.store(s).db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE order_ids LIKE '%BIG1%'") } ?? 0 > 0
        }
        #expect(s.stop() == 0)
    }

    // MARK: 7. Orders found long past their hold

    @Test func simulateFromAWeekLaterExpiresTheDemoShopsPendingOrdersAndSaysWhy() throws {
        let dir = try TestSupport.shopFolder()
        for kind in ["customers", "orders"] {
            let r = try TestSupport.carecron(["import", kind, "demo/\(kind).csv"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let sim = try TestSupport.carecron(["simulate", "--from", "2026-12-07T00:00:00+07:00", "--to", "2026-12-08T00:00:00+07:00",
                                            "--format", "jsonl", "--explain"], in: dir)
        #expect(sim.status == 0, "\(sim.stderr)")
        let events = sim.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let expired = events.filter { $0["kind"] as? String == "expire" }
        let pending = ["D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "D13"]
        #expect(Set(expired.compactMap { $0["orderId"] as? String }) == Set(pending), "\(sim.stdout)")
        #expect(expired.allSatisfy { $0["at"] as? String == "2026-12-07T00:00:00+07:00" })
        #expect(expired.allSatisfy { ($0["reason"] as? String ?? "").contains("still unpaid after its hold ended") })
        #expect(!events.contains { $0["kind"] as? String == "message" && $0["job"] as? String == "order-expiry" }, "no notice days late")
    }

    // MARK: 3. The single-instance lock follows the file

    /// Starts `carecron run` in `folder` and returns its exit status if it exits within `seconds`
    /// (nil: still running, then killed) and its log.
    static func runExits(in folder: URL, within seconds: Double) throws -> (status: Int32?, log: String) {
        let log = folder.appendingPathComponent("second.log")
        let p = try TestSupport.start(["run"], in: folder, environment: ["API_TOKEN": "t0k3n", "SHOP_WEBHOOK_SECRET": "whs3cret"], log: log)
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        let status: Int32? = p.isRunning ? nil : p.terminationStatus
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test func aSecondServiceOnTheSameFileUnderAnotherNameIsRefused() throws {
        let s = try Service()
        try s.start()
        let database = s.folder.appendingPathComponent("var/carecron.sqlite")
        let other = try TestSupport.shopFolder()
        let alias = other.appendingPathComponent("alias.sqlite")
        try FileManager.default.createSymbolicLink(at: alias, withDestinationURL: database)
        try TestSupport.editConfig(other) { c in
            c["database"] = alias.path
            c["senders"] = ["audit": ["type": "file", "path": "var/sent.jsonl"]]
            c["channels"] = ["sms": "audit", "email": "audit", "zalo": "audit"]
            c.removeValue(forKey: "http")
        }
        let second = try Self.runExits(in: other, within: 15)
        #expect(second.status == 1, "a second service ran on the same file through a symbolic link: \(second.log)")
        #expect(second.log.contains("another carecron is already running on \(try InstanceLock.identity(of: database))"), "\(second.log)")
        #expect(second.log.contains("config.json names it \(alias.path)"), "\(second.log)")

        // A hard link is a second name SQLite's journal would follow too: refused outright.
        #expect(s.stop() == 0)
        let hard = other.appendingPathComponent("hard.sqlite")
        try FileManager.default.linkItem(at: database, to: hard)
        try TestSupport.editConfig(other) { c in c["database"] = hard.path }
        let linked = try Self.runExits(in: other, within: 15)
        #expect(linked.status == 1 && linked.log.contains("has 2 names (hard links)"), "\(linked.log)")
    }

    // MARK: 4. A full disk while sending

    static func states(_ s: Service, _ ids: [String]) throws -> [String: String] {
        let store = try Self.store(s)
        var out: [String: String] = [:]
        for id in ids {
            out[id] = try store.db.read { try String.fetchOne($0, sql: "SELECT state FROM outbox WHERE order_ids = ?", arguments: [id]) } ?? "none"
        }
        return out
    }

    /// The provider accepted messages while the disk was full: their outcomes are recorded once
    /// it has room, and a restart before then records them from the journal; never a second send.
    @Test(.enabled(if: SmallDisk.runs, "this machine does not let a test mount a tmpfs"))
    func outcomesAFullDiskRefusedAreRecordedLaterAndNeverSentAgain() throws {
        let disk = try SmallDisk(megabytes: 24)
        let outside = TestSupport.temporaryFolder("outside")
        let hold = outside.appendingPathComponent("hold")
        let server = try TestServer("http_server.py", ["--hold-file", hold.path])
        let s = try Service(folder: disk.folder, logFolder: outside)
        try s.editConfig { c in
            // Longer than the provider holds its answers: the sends succeed, late.
            c["senders"] = ["hook": ["type": "webhook", "url": "\(server.url)/hook", "timeout": 50]]
            c["channels"] = ["sms": "hook", "email": "hook", "zalo": "hook"]
        }
        // Three orders due a reminder now, imported before the start so that one step plans them all.
        let placed = ServiceTests.placed(minutesAgo: 30)
        try (["id,customer_id,placed_at,amount"] + ["F1,C001", "F2,C002", "F3,C003"].map { "\($0),\(placed),450000" })
            .joined(separator: "\n").write(to: outside.appendingPathComponent("orders.csv"), atomically: true, encoding: .utf8)
        #expect(try TestSupport.carecron(["import", "orders", outside.appendingPathComponent("orders.csv").path], in: s.folder).status == 0)
        try Data().write(to: hold)
        try s.start()
        /// The provider holds the sends of `ids` until the disk is full, then accepts them.
        func accepted(whileTheDiskIsFull ids: [String], requestsSoFar: Int) throws {
            try s.waitFor("the reminders on the wire") { try Self.states(s, ids).values.allSatisfy { $0 == "sending" } }
            try disk.fill()
            try FileManager.default.removeItem(at: hold)
            try s.waitFor("the provider to answer") { try server.requests().count >= requestsSoFar + ids.count }
            try s.waitFor("the refusal to be logged") { s.logText.contains("outcomes not recorded: the store refused them") }
            #expect(try Self.states(s, ids).values.allSatisfy { $0 == "sending" }, "nothing could be recorded")
        }

        // A stop while the disk is full, then a restart once it has room: recorded from the journal.
        try accepted(whileTheDiskIsFull: ["F1", "F2", "F3"], requestsSoFar: 0)
        #expect(s.stop() == 0, "the stop is not held up by the full disk: \(s.logText.suffix(2000))")
        try disk.empty()
        try s.start()
        try s.waitFor("the held outcomes to be recorded") { try Self.states(s, ["F1", "F2", "F3"]).values.allSatisfy { $0 == "sent" } }
        #expect(s.logText.contains("recorded the outcomes of 3 message(s) held since the store refused them"))

        // The disk gets room while the service runs: recorded then.
        try Data().write(to: hold)
        let put = try s.call("PUT", "/v1/orders/F4", "{\"customer_id\": \"C005\", \"placed_at\": \"\(placed)\", \"amount\": 450000}")
        #expect(put.status == 201, "\(put.body)")
        try accepted(whileTheDiskIsFull: ["F4"], requestsSoFar: 3)
        try disk.empty()
        try s.waitFor("the outcome to be recorded once there is room") { try Self.states(s, ["F4"])["F4"] == "sent" }
        usleep(1_500_000)  // a resend, if any, would have reached the provider by now
        let keys = try server.requests().compactMap { ($0["headers"] as? [String: String])?["Idempotency-Key"] }
        #expect(keys.count == 4 && Set(keys).count == 4, "each message sent once: \(keys)")
        #expect(s.stop() == 0)
    }

    // MARK: 16. A spread past midnight

    @Test(arguments: [(#"{"at": "2027-01-05T20:00"}"#, "13h"), (#"{"dates": ["2027-01-05"], "time": "09:00"}"#, "23h")])
    func aCampaignSpreadPastMidnightIsRefusedByValidate(_ when: String, _ spread: String) throws {
        let dir = try TestSupport.shopFolder()
        // Quiet hours and advertising hours that would let the evening start through.
        try TestSupport.editConfig(dir) { c in
            c["quietHours"] = ["from": "23:30", "to": "23:45"]
            c["marketing"] = ["hours": ["from": "07:00", "to": "22:00"]]
        }
        try """
        {"type": "campaign", "enabled": true, "purpose": "care", "channels": ["sms"], "audience": {}, "when": \(when), "spread": "\(spread)",
         "templates": [{"text": "{{customer.salutation}} ơi, shop gửi lời hỏi thăm."}]}
        """.write(to: dir.appendingPathComponent("jobs/late.json"), atomically: true, encoding: .utf8)
        let validate = try TestSupport.carecron(["validate"], in: dir)
        #expect(validate.status != 0, "\(validate.stdout)")
        #expect(validate.stdout.contains("late.json: spread:") && validate.stdout.contains("runs past midnight"), "\(validate.stdout)")
    }

    // MARK: 17. A database a newer carecron wrote

    @Test func aDatabaseANewerCarecronMigratedIsRefusedWithBothVersionsNamed() throws {
        let dir = try TestSupport.shopFolder()
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: dir).status == 0)
        let url = dir.appendingPathComponent("var/carecron.sqlite")
        try Store(url: url).db.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        for args in [["status"], ["import", "orders", "demo/orders.csv"], ["simulate", "--from", "2026-12-01", "--to", "2026-12-02"], ["run"]] {
            let r = try TestSupport.carecron(args, in: dir, timeout: 30)
            #expect(r.status != 0, "\(args): \(r.stdout)")
            #expect(r.stderr.contains("written by a newer carecron: its schema has v99-from-the-future")
                    && r.stderr.contains("this carecron knows up to \(Schema.migrator.migrations.last!)"), "\(args): \(r.stderr)")
        }
        #expect(try DatabaseQueue(path: url.path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM orders") } == 0, "nothing written")
    }

    @Test func aPostgreSQLDatabaseANewerCarecronMigratedIsRefused() async throws {
        let settings = try await TestPostgres.freshDatabase()
        await (try await TestPostgres.open(settings)).shutdown()
        _ = try TestPostgres.psql(settings, "INSERT INTO schema_migrations (version) VALUES ('v9-from-the-future')")
        await #expect {
            _ = try await TestPostgres.open(settings)
        } throws: { error in
            "\(error)".contains("its schema has v9-from-the-future, and this carecron knows up to \(PostgresMigrations.names.last!)")
        }
    }

    // MARK: 18. Errors in a sentence

    @Test func aMissingAudienceFileIsNamedInASentence() throws {
        let dir = try TestSupport.shopFolder()
        try """
        {"type": "campaign", "enabled": true, "purpose": "care", "channels": ["sms"], "audience": {"customers": {"file": "segments/vip.txt"}},
         "when": {"dates": ["2027-01-05"], "time": "09:00"}, "templates": [{"text": "{{customer.salutation}} ơi, shop gửi lời hỏi thăm."}]}
        """.write(to: dir.appendingPathComponent("jobs/vip.json"), atomically: true, encoding: .utf8)
        let validate = try TestSupport.carecron(["validate"], in: dir)
        #expect(validate.status != 0)
        #expect(validate.stdout.contains("vip.json: audience.customers: cannot read segments/vip.txt: no such file (looked for \(dir.path)/segments/vip.txt)"),
                "\(validate.stdout)")
        #expect(!validate.stdout.contains("NSCocoaErrorDomain"))
    }

    @Test(.enabled(if: SmallDisk.runs, "this machine does not let a test mount a tmpfs"))
    func aFullDiskWhileCreatingTheDatabaseIsSaidInASentence() throws {
        let disk = try SmallDisk(megabytes: 4)
        let dir = try TestSupport.shopFolder(at: disk.folder)
        // Full at once, and full half-way through the schema's migrations.
        for (leaving, says) in [(0, "cannot open the database"), (256 * 1024, "cannot bring the database")] {
            try disk.fill(leaving: leaving)
            let r = try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: dir)
            #expect(r.status != 0)
            #expect(r.stderr.contains(says) && r.stderr.contains("the disk holding the database is full"), "\(r.stderr)")
            #expect(!r.stderr.contains("SQLite error"), "\(r.stderr)")
            try disk.empty()
            for name in ["carecron.sqlite", "carecron.sqlite-wal", "carecron.sqlite-shm"] {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent("var/\(name)"))
            }
        }
    }

    // MARK: 19. A schedule asked for a billion firings

    @Test func scheduleCountIsBoundedAndAnswersAtOnce() throws {
        let dir = try TestSupport.shopFolder()
        // Killed after 20 s if it works on instead of refusing (it used 1 GB over 10 minutes).
        let huge = try TestSupport.carecron(["schedule", "0 9 * * *", "--count", "999999999"], in: dir, timeout: 20)
        #expect(huge.status != 0 && huge.stderr.contains("--count: 999999999 is not between 1 and 10000"), "\(huge.stderr)")
        #expect(try TestSupport.carecron(["schedule", "0 9 * * *", "--count", "0"], in: dir).status != 0)
        let most = try TestSupport.carecron(["schedule", "0 9 * * *", "--count", "10000", "--from", "2026-12-01T00:00:00+07:00"], in: dir)
        let lines = most.stdout.split(separator: "\n")
        #expect(most.status == 0 && lines.count == 10_000 && lines.first == "2026-12-01T09:00:00+07:00", "\(most.stderr)")
        // The same class: a simulation of eight thousand years, a preview of a decade.
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: dir).status == 0)
        let ages = try TestSupport.carecron(["simulate", "--from", "2026-12-01", "--to", "9999-01-01"], in: dir, timeout: 20)
        #expect(ages.status != 0 && ages.stderr.contains("spans more than 366 days"), "\(ages.stderr)")
        let decade = try TestSupport.carecron(["preview", "--within", "3650d"], in: dir, timeout: 20)
        #expect(decade.status != 0 && decade.stderr.contains("more than 31 days"), "\(decade.stderr)")
    }

    /// A symbolic link to a database not made yet names the file it will be.
    @Test func aLinkToADatabaseNotMadeYetIsLockedAsItsTarget() throws {
        let real = TestSupport.temporaryFolder("real"), other = TestSupport.temporaryFolder("other")
        let link = other.appendingPathComponent("shop.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: real.appendingPathComponent("carecron.sqlite").path)
        #expect(try InstanceLock.identity(of: link) == InstanceLock.identity(of: real.appendingPathComponent("carecron.sqlite")))
    }

    /// Outcomes held in the journal are not in the tables yet: migrate-store waits for them.
    @Test func migrateStoreRefusesWhileOutcomesAreHeld() throws {
        let dir = try TestSupport.shopFolder()
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: dir).status == 0)
        let database = dir.appendingPathComponent("var/carecron.sqlite")
        let id = try #require(try Store(url: database).storeId())
        let journal = try OutcomeJournal(path: OutcomeJournal.beside(database: try InstanceLock.identity(of: database)), storeId: id)
        #expect(journal.hold([.sent(1, providerId: "p1", at: Date())]))
        let r = try TestSupport.carecron(["migrate-store", "--to", "postgres://carecron@127.0.0.1:1/carecron"], in: dir, timeout: 60)
        #expect(r.status == 1 && r.stderr.contains("1 outcome(s) of messages already sent are held in the outcome journal"), "\(r.stderr)")
    }
}
