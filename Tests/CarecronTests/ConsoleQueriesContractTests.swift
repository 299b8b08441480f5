import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Testing

/// What the console asks of a store (issue 26): customers found as a person types them, the
/// outbox as history a page at a time, and what became of planned occurrences; run against the
/// SQLite store and a real PostgreSQL server.
@Suite("Store contract: the console's queries")
struct ConsoleQueriesContractTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")
    let clock = TestSupport.saigon

    func customers(_ s: StoreUnderTest) async throws {
        let people: [[String: String]] = [
            ["id": "C1", "full_name": "Phạm Thu Hà", "phone": "0987000111", "email": "Ha.Pham@Example.vn"],
            ["id": "C2", "full_name": "Trần Thị Lan", "phone": "0912345678"],
            ["id": "C3", "full_name": "Nguyễn Văn Hà", "phone": "0903000333"],
            ["id": "C4", "full_name": "Đặng Thu Hằng", "email": "hang@example.vn"],
        ]
        for p in people { _ = try await s.customers.upsert(.customers, p, clock: clock, holdFor: .hours(24), now: now) }
        _ = try await s.customers.upsert(.orders, ["id": "DH-77", "customer_id": "C2", "placed_at": "2026-11-30 09:00", "amount": "150000"],
                                         clock: clock, holdFor: .hours(24), now: now)
    }

    @Test(arguments: StoreUnderTest.implementations)
    func customersAreFoundAsAPersonTypesThem(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        try await customers(s)
        func ids(_ text: String) async throws -> [String] { try await store.searchCustomers(text, limit: 20).map(\.id) }
        #expect(try await ids("pham thu ha") == ["C1"], "a full name without accents")
        #expect(try await ids("PHẠM THU") == ["C1"], "accents and case are the person's choice")
        #expect(try await Set(ids("ha")) == ["C1", "C3", "C4"], "the given name as one types it (Hà, and Hằng begins so)")
        #expect(try await ids("thu ha") == ["C1"], "the last words of the name")
        #expect(try await ids("dang") == ["C4"], "đ is d")
        for phone in ["0987 000 111", "+84987000111", "84987000111", "0987.000.111", "987000111"] {
            #expect(try await ids(phone) == ["C1"], "the phone as \(phone)")
        }
        #expect(try await ids("ha.pham@example.vn") == ["C1"], "an email, whatever its case")
        #expect(try await ids("DH-77") == ["C2"], "an order's id finds its customer")
        #expect(try await ids("C3") == ["C3"], "an id is an id")
        #expect(try await ids("tam").isEmpty)
        #expect(try await ids("").isEmpty)
        let match = try #require(try await store.searchCustomers("0912345678", limit: 5).first)
        #expect(match.name == "Trần Thị Lan" && match.matched == .phone)
        #expect(try await store.customerNames(["C1", "C2", "NONE"]) == ["C1": "Phạm Thu Hà", "C2": "Trần Thị Lan"])
        // A name changed is found by its new words only.
        _ = try await s.customers.upsert(.customers, ["id": "C3", "full_name": "Lê Minh Tâm"], clock: clock, holdFor: .hours(24), now: now)
        #expect(try await ids("tam") == ["C3"])
        #expect(try await ids("nguyen van").isEmpty)
    }

    @Test(arguments: StoreUnderTest.implementations)
    func theOutboxIsReadAsHistoryAPageAtATimeByKey(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await customers(s)
        let rendering = { (ch: String) in [Rendering(channel: ch, to: "+84987000111", subject: nil, text: "tin", params: [:], templateId: nil)] }
        for i in 0..<30 {
            let due = now.addingTimeInterval(Double(i / 10) * 86_400)   // ten a day over three days
            _ = try await s.outbox.enqueue(keys: ["k:\(i)"], job: i % 2 == 0 ? "birthday" : "win-back", customerId: i % 3 == 0 ? "C1" : "C2",
                                           orderIds: [], reminder: nil, renderings: rendering(i % 5 == 0 ? "email" : "sms"), dueAt: due, now: now)
        }
        let claimed = try await s.outbox.claimDue(now: now, limit: 10)
        for m in claimed where m.id % 2 == 0 { try await s.outbox.markDead(m.id, error: "Zalo -108: invalid phone", now: now) }
        for m in claimed where m.id % 2 == 1 { try await s.outbox.markSent(m.id, providerId: "p\(m.id)", at: now) }
        var q = OutboxHistoryQuery()
        q.limit = 7
        var seen: [Int64] = []
        while true {
            let page = try await s.outbox.history(q)
            seen += page.map(\.id)
            guard page.count == q.limit, let last = page.last else { break }
            q.before = last.id
        }
        #expect(seen == Array((1...30).reversed()).map(Int64.init), "every message once, newest first, across pages")
        var dead = OutboxHistoryQuery()
        dead.states = [.dead]
        #expect(try await s.outbox.history(dead).map(\.state) == Array(repeating: .dead, count: 5))
        var sent = OutboxHistoryQuery()
        sent.states = [.sent]
        #expect(try await s.outbox.history(sent).count == 5)
        var filtered = OutboxHistoryQuery()
        filtered.job = "birthday"
        filtered.channel = "sms"
        filtered.customerIds = ["C1"]
        let expected = (1...30).filter { i in let n = i - 1; return n % 2 == 0 && n % 5 != 0 && n % 3 == 0 }.map(Int64.init).reversed()
        #expect(try await s.outbox.history(filtered).map(\.id) == Array(expected))
        var secondDay = OutboxHistoryQuery()
        secondDay.dueFrom = now.addingTimeInterval(86_400)
        secondDay.dueTo = now.addingTimeInterval(2 * 86_400)
        #expect(try await s.outbox.history(secondDay).map(\.id) == Array((11...20).reversed()).map(Int64.init), "a day range on when each is due")
        let planned = try await s.outbox.planned(keys: ["k:0", "k:1", "k:29", "never"])
        #expect(planned["k:0"]?.state == .sent && planned["k:1"]?.state == .dead && planned["k:29"]?.state == .planned && planned["never"] == nil)
        #expect(planned["k:29"]?.id == 30)
    }
}

/// Customers stored before the search existed are made searchable when a newer carecron opens
/// the store: SQLite's v12 migration folds them, PostgreSQL's start-up fills what is missing.
@Suite("Customer search on older stores")
struct CustomerSearchUpgradeTests {
    @Test func anOlderSQLiteStoreIsFoldedByItsMigration() async throws {
        let file = TestSupport.temporaryFolder("search-upgrade").appendingPathComponent("carecron.sqlite")
        do {
            let store = try Store(url: file)
            _ = try store.upsert(.customers, ["id": "C1", "full_name": "Phạm Thu Hà"], clock: TestSupport.saigon, holdFor: .hours(24), now: Date())
        }
        // The store as v11 left it: no search columns, v12 not applied.
        let db = try DatabaseQueue(path: file.path)
        try await db.write { db in
            try db.execute(sql: """
                DROP INDEX customers_search_name; DROP INDEX customers_search_given; DROP INDEX customers_email;
                ALTER TABLE customers DROP COLUMN search_name; ALTER TABLE customers DROP COLUMN search_given;
                DELETE FROM grdb_migrations WHERE identifier = 'v12-customer-search';
                """)
        }
        try db.close()
        let reopened = try Store(url: file)
        #expect(try reopened.searchCustomers("pham thu ha", limit: 5).map(\.id) == ["C1"])
    }

    @Test func aPostgreSQLStoreFillsTheNamesAnOlderNodeWrote() async throws {
        let settings = try await TestPostgres.freshDatabase()
        _ = try await TestPostgres.open(settings)
        _ = try TestPostgres.psql(settings, "INSERT INTO customers (id, full_name, created_at, updated_at) VALUES ('OLD', 'Nguyễn Thị Ánh', 0, 0)")
        let store = PostgresStore(try await TestPostgres.open(settings))
        #expect(try await store.searchCustomers("nguyen thi anh", limit: 5).map(\.id) == ["OLD"])
        #expect(try await store.searchCustomers("anh", limit: 5).map(\.id) == ["OLD"])
    }
}
