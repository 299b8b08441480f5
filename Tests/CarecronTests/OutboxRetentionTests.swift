@testable import CarecronConfig
import CarecronDelivery
import CarecronDomain
@_spi(Testing) @testable import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Testing

/// Issue 14: `outbox.keepFor` removes old finished messages, a batch at a time, keeping the
/// totals that status and the metrics show and the keys that stop a second sending.
@Suite("The outbox over time")
struct OutboxRetentionTests {
    let now = TestSupport.instant("2027-06-01T09:00:00+07:00")

    func store() throws -> Store {
        try Store(url: TestSupport.temporaryFolder().appendingPathComponent("carecron.sqlite"))
    }

    func sms(_ i: Int) -> [Rendering] {
        [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin \(i)", params: [:], templateId: nil)]
    }

    /// `count` messages of `job` planned `daysAgo` days before `now`, left in `state`.
    func messages(_ store: Store, _ job: String, _ range: Range<Int>, daysAgo: Int, state: OutboxState) throws {
        let at = now.addingTimeInterval(-Double(daysAgo) * 86_400)
        let entries = range.map { OutboxEntry(keys: ["\(job):\($0)"], job: job, customerId: nil, orderIds: [], reminder: nil, renderings: sms($0), dueAt: at) }
        _ = try Outbox(store: store).enqueue(entries, now: at)
        if state != .planned {
            try store.db.write { db in
                try db.execute(sql: "UPDATE outbox SET state = ?, updated_at = ? WHERE job = ? AND idempotency_key IN (\(range.map { "'\(job):\($0)'" }.joined(separator: ",")))",
                               arguments: [state.rawValue, Int(at.timeIntervalSince1970), job])
            }
        }
    }

    func rows(_ store: Store) throws -> Int { try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox") ?? 0 } }
    func keys(_ store: Store) throws -> Int { try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox_keys") ?? 0 } }

    @Test func oldFinishedMessagesGoInBatchesWithTheirTotalsAndKeysKept() async throws {
        let store = try store()
        try messages(store, "birthday", 0..<900, daysAgo: 120, state: .sent)
        try messages(store, "birthday", 900..<1000, daysAgo: 120, state: .dead)
        try messages(store, "post-sale-checkin", 0..<100, daysAgo: 95, state: .cancelled)
        try messages(store, "post-sale-checkin", 100..<150, daysAgo: 95, state: .planned)      // not finished: stays
        try messages(store, "post-sale-checkin", 150..<250, daysAgo: 10, state: .sent)         // recent: stays
        let counts = try Outbox(store: store).counts(), byJob = try Outbox(store: store).lastPlannedByJob()
        // The counts the triggers keep are the table's own.
        let direct = try await store.db.read { db in
            try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM outbox GROUP BY state").reduce(into: [OutboxState: Int]()) { $0[OutboxState(rawValue: $1[0])!] = $1[1] }
        }
        #expect(counts == direct && counts == [.sent: 1000, .dead: 100, .cancelled: 100, .planned: 50])
        #expect(try rows(store) == 1250)

        // A pass stops after its batches, so that sending goes on between passes.
        let first = try await OutboxRetention.run(store, keepFor: .days(90), now: now, batchSize: 100, maxBatches: 3)
        #expect(first == OutboxRetention.Pass(messages: 300, keys: 0, finished: false))
        #expect(try rows(store) == 950)
        var pass = first
        while !pass.finished { pass = try await OutboxRetention.run(store, keepFor: .days(90), now: now, batchSize: 100, maxBatches: 3) }
        #expect(try rows(store) == 150, "the planned and the recent ones stay")
        #expect(try Outbox(store: store).counts() == counts, "status and the metrics show the same totals")
        let after = try Outbox(store: store).lastPlannedByJob()
        #expect(after.mapValues(\.1) == byJob.mapValues(\.1) && after.mapValues(\.0) == byJob.mapValues(\.0))

        // A purged occurrence is still "planned once": it is not planned again.
        #expect(try keys(store) == 1250)
        #expect(try Outbox(store: store).enqueue(keys: ["birthday:5"], job: "birthday", customerId: nil, orderIds: [], reminder: nil,
                                         renderings: sms(5), dueAt: now, now: now) == false)
        #expect(try Outbox(store: store).isPlanned("post-sale-checkin:7"))

        // Its key is forgotten only after the longest any job can plan an occurrence again.
        let later = now.addingTimeInterval(OutboxRetention.keyLife.interval - 121 * 86_400)
        // (By then the recent sent ones are old too: purged, their keys detached, none forgotten.)
        #expect(try await OutboxRetention.run(store, keepFor: .days(90), now: later) == OutboxRetention.Pass(messages: 100, keys: 0, finished: true))
        let muchLater = now.addingTimeInterval(OutboxRetention.keyLife.interval)
        let last = try await OutboxRetention.run(store, keepFor: .days(90), now: muchLater)
        #expect(last == OutboxRetention.Pass(messages: 0, keys: 1200, finished: true), "every detached key forgotten: \(last)")
        #expect(try keys(store) == 50, "the planned messages' keys stay (birthday:5 was refused, so added none)")
    }

    @Test func erasingACustomerTakesTheKeysOfTheirMessages() throws {
        let store = try store()
        _ = try store.upsert(.customers, ["id": "C1", "full_name": "Trần Thị Lan", "phone": "0912345678"],
                             clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        _ = try Outbox(store: store).enqueue(keys: ["birthday:C1:2027"], job: "birthday", customerId: "C1", orderIds: [], reminder: nil,
                                     renderings: sms(1), dueAt: now, now: now)
        #expect(try store.forget(customerId: "C1", now: now))
        #expect(try keys(store) == 0 && rows(store) == 0)
        #expect(try Outbox(store: store).counts().isEmpty, "the erased messages are not counted")
    }

    @Test func aStoreOfTheLastVersionKeepsItsKeysThroughTheMigration() throws {
        let url = TestSupport.temporaryFolder().appendingPathComponent("carecron.sqlite")
        try Store.createIfMissing(url)
        do {
            let db = try DatabaseQueue(path: url.path)
            try Schema.migrator.migrate(db, upTo: "v8-campaigns")
            try db.write { db in
                try db.execute(sql: """
                    INSERT INTO outbox (id, idempotency_key, job, channel, recipient, body, state, due_at, next_attempt_at, created_at, updated_at)
                    VALUES (7, 'a+b', 'payment-reminder', 'sms', '+84912345678', 'tin', 'sent', 100, 100, 90, 100);
                    INSERT INTO outbox_keys (key, outbox_id) VALUES ('a', 7), ('b', 7);
                    """)
            }
        }
        let store = try Store(url: url)
        let kept = try store.db.read { try Row.fetchAll($0, sql: "SELECT key, outbox_id, planned_at FROM outbox_keys ORDER BY key") }
        #expect(kept.map { [$0[0] as String, String($0[1] as Int64), String($0[2] as Int)] } == [["a", "7", "90"], ["b", "7", "90"]])
        #expect(try Outbox(store: store).counts() == [.sent: 1] && Outbox(store: store).lastPlannedByJob()["payment-reminder"]?.1 == 1)
    }

    @Test func keepForIsReadFromConfigWithClearErrors() throws {
        func load(_ outbox: String) throws -> LoadedConfiguration {
            let dir = try TestSupport.shopFolder()
            let url = dir.appendingPathComponent("config.json")
            var text = try String(contentsOf: url, encoding: .utf8)
            text = text.replacingOccurrences(of: #""outbox": { "keepFor": "90d" }"#, with: #""outbox": "# + outbox)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return ConfigLoader.load(url)
        }
        #expect(try load(#"{"keepFor": "30d"}"#).config?.outboxKeepFor == .days(30))
        #expect(try load("{}").config?.outboxKeepFor == .days(90))
        let short = try load(#"{"keepFor": "2h"}"#)
        #expect(short.errors.map(\.description).contains { $0.contains("outbox.keepFor") && $0.contains("a day at least") }, "\(short.errors)")
        let typo = try load(#"{"keepfor": "30d"}"#)
        #expect(typo.errors.map(\.description).contains { $0.contains("keepfor") && $0.contains("keepFor") }, "\(typo.errors)")
    }

    @Test func outboxPurgeRunsTheRuleNow() throws {
        let dir = try TestSupport.shopFolder()
        let config = try #require(ConfigLoader.load(dir.appendingPathComponent("config.json")).config)
        let store = try Store(url: config.database)
        let old = Date().addingTimeInterval(-200 * 86_400)
        _ = try Outbox(store: store).enqueue((0..<30).map { OutboxEntry(keys: ["k:\($0)"], job: "birthday", customerId: nil, orderIds: [], reminder: nil, renderings: sms($0), dueAt: old) }, now: old)
        try store.db.write { try $0.execute(sql: "UPDATE outbox SET state = 'sent', updated_at = ?", arguments: [Int(old.timeIntervalSince1970)]) }
        let bad = try TestSupport.carecron(["outbox", "purge", "--keep-for", "1h"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("--keep-for"), "\(bad.stderr)")
        let r = try TestSupport.carecron(["outbox", "purge"], in: dir)
        #expect(r.status == 0 && r.stdout.contains("30 message(s) older than 90d purged"), "\(r.stdout)\(r.stderr)")
        #expect(try rows(store) == 0 && Outbox(store: store).counts()[.sent] == 30)
    }
}
