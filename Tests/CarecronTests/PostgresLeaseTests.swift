import CarecronConfig
import CarecronDomain
@testable import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// Issue 15 on a real PostgreSQL server (`TestPostgres`): migrations under an advisory lock,
/// one outbox row per occurrence whoever plans, claims as leases with owners and growing tokens,
/// expiry in the database's clock, and every change of a claimed row fenced by its lease.
@Suite("PostgreSQL: migrations and leased claims")
struct PostgresLeaseTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")

    func entry(_ i: Int, key: String? = nil) -> OutboxEntry {
        OutboxEntry(keys: [key ?? "job:O\(i):1"], job: "job", customerId: nil, orderIds: ["O\(i)"], reminder: 1,
                    renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin \(i)", params: [:], templateId: nil)],
                    dueAt: now)
    }

    /// The database's clock moves on past every lease (instead of the test sleeping through it).
    func expireLeases(_ settings: PostgresSettings) throws {
        try TestPostgres.psql(settings, "UPDATE outbox SET lease_expires_at = now() - interval '1 second' WHERE state = 'sending'")
    }

    @Test func nodesStartingTogetherApplyEachVersionOnce() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let dbs = try await withThrowingTaskGroup(of: PostgresDatabase.self) { group in
            for _ in 0..<4 { group.addTask { try await TestPostgres.open(settings) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(dbs.count == 4)
        #expect(try TestPostgres.psql(settings, "SELECT version FROM schema_migrations ORDER BY substring(version FROM '^v([0-9]+)')::int").split(separator: "\n").map(String.init) == PostgresMigrations.names)
        let again = try await TestPostgres.open(settings)
        #expect(try await PostgresMigrations.applied(on: again.client) == PostgresMigrations.names)
        #expect(PostgresMigrations.names == ["v1-store", "v2-data-version", "v3-retention", "v4-leadership-since", "v5-campaign-purged", "v6-customer-search", "v7-receipts", "v8-after-sending", "v9-surveys", "v10-outcome-ledger", "v11-calls", "v12-conversations"])
        for db in dbs + [again] { await db.shutdown() }
    }

    @Test func twoPlannersWritingTheSameSpanMakeOneRowPerOccurrence() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let a = LeasedOutbox(try await TestPostgres.open(settings)), b = LeasedOutbox(try await TestPostgres.open(settings))
        let entries = (0..<100).map { entry($0) }
        async let first = a.enqueue(entries, now: now)
        async let second = b.enqueue(entries, now: now)
        let (x, y) = try await (first, second)
        #expect(zip(x, y).allSatisfy { $0 != $1 }, "each occurrence added by exactly one planner")
        #expect(try TestPostgres.psql(settings, "SELECT count(*) FROM outbox") == "100\n")
        #expect(try TestPostgres.psql(settings, "SELECT count(*) FROM outbox_keys") == "100\n")
        // A message whose second key was planned before is not added either.
        let both = OutboxEntry(keys: ["job:NEW:1", "job:O3:1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                               renderings: entry(0).renderings, dueAt: now)
        #expect(try await a.enqueue([both], now: now) == [false])
        #expect(try TestPostgres.psql(settings, "SELECT count(*) FROM outbox_keys WHERE key = 'job:NEW:1'") == "0\n", "rolled back whole")
        await a.db.shutdown(); await b.db.shutdown()
    }

    @Test func twoNodesNeverClaimTheSameMessage() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let a = LeasedOutbox(try await TestPostgres.open(settings)), b = LeasedOutbox(try await TestPostgres.open(settings))
        _ = try await a.enqueue((0..<300).map { entry($0) }, now: now)
        func drain(_ o: LeasedOutbox) async throws -> [Int64] {
            var ids: [Int64] = []
            while true {
                let batch = try await o.claimDue(now: now, limit: 7)
                if batch.isEmpty { return ids }
                ids += batch.map(\.id)
            }
            return ids
        }
        async let fromA = drain(a)
        async let fromB = drain(b)
        let (ia, ib) = try await (fromA, fromB)
        #expect(Set(ia).isDisjoint(with: ib))
        #expect(Set(ia + ib).count == 300 && ia.count + ib.count == 300)
        #expect(a.owner != b.owner, "each process has an owner id of its own")
        let owners = try TestPostgres.psql(settings, "SELECT DISTINCT lease_owner FROM outbox ORDER BY 1").split(separator: "\n").map(String.init)
        #expect(Set(owners) == Set([a.owner, b.owner].filter { o in (o == a.owner ? ia : ib).count > 0 }))
        let tokens = try TestPostgres.psql(settings, "SELECT count(DISTINCT lease_token) FROM outbox")
        #expect(tokens == "300\n", "every claim has a token of its own")
        await a.db.shutdown(); await b.db.shutdown()
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldHolderChangesNothing() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let a = LeasedOutbox(try await TestPostgres.open(settings)), b = LeasedOutbox(try await TestPostgres.open(settings))
        _ = try await a.enqueue([entry(1)], now: now)
        let claimed = try await a.claimDue(now: now, limit: 10)
        #expect(claimed.count == 1)
        let firstToken = try #require(a.leases[claimed[0].id])
        #expect(try await b.claimDue(now: now, limit: 10).isEmpty, "a live lease is not taken")

        // A stops (SIGSTOP, a long pause) for longer than its lease: B takes the message over.
        try expireLeases(settings)
        let taken = try await b.claimDue(now: now, limit: 10)
        #expect(taken.map(\.id) == claimed.map(\.id))
        #expect(taken[0].attempts == 2 && taken[0].key == claimed[0].key, "sent again with the same idempotency key")
        #expect(taken[0].lastError?.contains("outcome unknown") == true)
        #expect(try #require(b.leases[taken[0].id]) > firstToken, "the token grows with every claim")

        // A wakes and reports its send: fenced, nothing changes; it no longer renews that lease.
        let refused = try await a.recordFenced([.sent(claimed[0].id, providerId: "late", at: now)])
        #expect(refused == [claimed[0].id])
        #expect(try await a.renewLeases() == 0)
        #expect(try TestPostgres.psql(settings, "SELECT state, lease_owner FROM outbox") == "sending|\(b.owner)\n")
        try await a.unclaim(claimed[0].id)
        #expect(try TestPostgres.psql(settings, "SELECT state, attempts FROM outbox") == "sending|2\n", "an old holder cannot hand it back")

        // B's outcome counts.
        #expect(try await b.recordFenced([.sender(taken[0].id, name: "hook"), .sent(taken[0].id, providerId: "p-1", at: now)]).isEmpty)
        let row = try #require(try await b.message(taken[0].id))
        #expect(row.state == .sent && row.providerMessageId == "p-1" && row.sender == "hook")
        #expect(b.leases.isEmpty)
        await a.db.shutdown(); await b.db.shutdown()
    }

    /// A node paused past two thirds of its lease must not start a send when it resumes: by
    /// then another node may hold the message (the dispatcher asks `stillHolds` just before
    /// sending). Real time: the lease runs on the database's clock and this node's monotonic one.
    @Test func aNodeStopsActingOnALeaseBeforeTheDatabaseLetsItGo() async throws {
        var settings = try await TestPostgres.freshDatabase()
        settings.leaseSeconds = 0.9
        // Its renewals stopped, as a SIGSTOP stops them.
        let a = LeasedOutbox(try await TestPostgres.open(settings), renewsItself: false)
        _ = try await a.enqueue([entry(1)], now: now)
        let id = try #require(try await a.claimDue(now: now, limit: 1).first?.id)
        #expect(a.stillHolds(id))
        #expect(!a.stillHolds(id + 1), "a message it never claimed")
        try await Task.sleep(for: .milliseconds(700))
        #expect(!a.stillHolds(id), "two thirds of a 0.9 s lease are gone")
        #expect(try await a.renewLeases() == 1, "the database still has it as this node's")
        #expect(a.stillHolds(id), "renewed: it may send again")
        await a.db.shutdown()
    }

    /// Renewing leases while the outcomes of the same messages are recorded (the renewal task
    /// and the dispatcher's group commits run side by side): both lock rows in id order, so they
    /// never deadlock, and a message recorded meanwhile is not taken for lost.
    @Test func renewingWhileRecordingNeverDeadlocksNorLosesAnything() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let a = LeasedOutbox(try await TestPostgres.open(settings), renewsItself: false)
        _ = try await a.enqueue((0..<120).map { entry($0) }, now: now)
        let claimed = try await a.claimDue(now: now, limit: 200).map(\.id)
        #expect(claimed.count == 120)
        let renewing = Task {
            var lost = 0
            for _ in 0..<40 { lost += 120 - (try await a.renewLeases()) }
            return lost
        }
        // Groups recorded highest id first: the order that deadlocked against the renewal's.
        let descending = claimed.sorted(by: >)
        for group in stride(from: 0, to: descending.count, by: 12).map({ descending[$0..<min($0 + 12, descending.count)] }) {
            let refused = try await a.recordFenced(group.flatMap { [OutboxOutcome.sender($0, name: "hook"), .sent($0, providerId: nil, at: now)] })
            #expect(refused.isEmpty)
        }
        _ = try await renewing.value
        #expect(a.leases.isEmpty)
        #expect(try TestPostgres.psql(settings, "SELECT state, count(*) FROM outbox GROUP BY state") == "sent|120\n")
        await a.db.shutdown()
    }

    /// The outbox renews its own leases while it holds any (the service and `outbox send` alike):
    /// a send that lasts longer than the lease keeps its message.
    @Test func aSendLongerThanTheLeaseKeepsItsMessage() async throws {
        var settings = try await TestPostgres.freshDatabase()
        // Renewed every second, each renewal good for two: a loaded test machine may be late by one.
        settings.leaseSeconds = 3
        let a = LeasedOutbox(try await TestPostgres.open(settings)), b = LeasedOutbox(try await TestPostgres.open(settings))
        _ = try await a.enqueue([entry(1)], now: now)
        let id = try #require(try await a.claimDue(now: now, limit: 1).first?.id)
        try await Task.sleep(for: .milliseconds(7_000))
        #expect(a.stillHolds(id), "renewed every second while held, more than twice the lease ago")
        #expect(try await b.claimDue(now: now, limit: 1).isEmpty, "nobody else may take it")
        #expect(try await a.recordFenced([.sent(id, providerId: nil, at: now)]).isEmpty)
        await a.db.shutdown(); await b.db.shutdown()
    }

    @Test func aLongSendKeepsItsLeaseByRenewingIt() async throws {
        let settings = try await TestPostgres.freshDatabase(leaseSeconds: 30)
        let a = LeasedOutbox(try await TestPostgres.open(settings)), b = LeasedOutbox(try await TestPostgres.open(settings))
        _ = try await a.enqueue([entry(1), entry(2)], now: now)
        let claimed = try await a.claimDue(now: now, limit: 10)
        #expect(claimed.count == 2)
        // Almost expired, in the database's clock; a renewal puts it a whole lease ahead again.
        try TestPostgres.psql(settings, "UPDATE outbox SET lease_expires_at = now() + interval '1 second'")
        #expect(try await a.renewLeases() == 2)
        let left = try TestPostgres.psql(settings, "SELECT min(extract(epoch FROM lease_expires_at - now()))::int FROM outbox")
        #expect((Int(left.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) >= 25)
        #expect(try await b.claimDue(now: now, limit: 10).isEmpty)
        // Retry and dead outcomes release the lease; the message waits for its next attempt.
        #expect(try await a.recordFenced([.retry(claimed[0].id, error: "429", next: now.addingTimeInterval(60), now: now),
                                    .dead(claimed[1].id, error: "rejected", now: now)]).isEmpty)
        #expect(try await a.counts() == [.failed: 1, .dead: 1])
        #expect(try await a.nextDue() == now.addingTimeInterval(60))
        await a.db.shutdown(); await b.db.shutdown()
    }
}

/// One planner among the nodes: a leader row with a term and an expiry in the database's clock.
@Suite("PostgreSQL: leadership and nodes")
struct PostgresLeadershipTests {
    @Test func oneNodeLeadsAnotherTakesOverOnlyOnceTheLeaseLapses() async throws {
        let settings = try await TestPostgres.freshDatabase(leaseSeconds: 30)
        let db = try await TestPostgres.open(settings)
        let a = Leadership(db, node: "node-a"), b = Leadership(db, node: "node-b")
        let first = try #require(try await a.acquireOrRenew())
        #expect(first.number == 1 && first.isValid())
        #expect(try await b.acquireOrRenew() == nil, "a live lease is not taken")
        let renewed = try #require(try await a.acquireOrRenew())
        #expect(renewed.number == 1, "a renewal keeps the term")
        #expect(try await a.holder()?.node == "node-a")

        // A stops renewing; once its lease lapses in the database's clock, B leads in a new term.
        try TestPostgres.psql(settings, "UPDATE leadership SET expires_at = now() - interval '1 second'")
        let second = try #require(try await b.acquireOrRenew())
        #expect(second.number == 2)
        #expect(try await a.acquireOrRenew() == nil, "the old leader cannot renew a lease that was taken over")

        // B resigns (SIGTERM): A leads at once, in a third term.
        try await b.resign()
        #expect(try await a.acquireOrRenew()?.number == 3)
        await db.shutdown()
    }

    @Test func aTermIsActedOnOnlyForTwoThirdsOfTheLease() async throws {
        let settings = try await TestPostgres.freshDatabase(leaseSeconds: 30)
        let db = try await TestPostgres.open(settings)
        let asked = ContinuousClock.now
        let term = try #require(try await Leadership(db, node: "n").acquireOrRenew())
        #expect(term.isValid(at: asked.advanced(by: .seconds(19))))
        #expect(!term.isValid(at: asked.advanced(by: .seconds(21))), "the leader stops planning well before its lease can lapse")
        await db.shutdown()
    }

    @Test func nodesAreListedWithTheirHeartbeatAndTheLeader() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let db = try await TestPostgres.open(settings)
        let registry = NodeRegistry(db)
        let a = LeasedOutbox.newOwner(), b = LeasedOutbox.newOwner()
        try await registry.beat(node: a, host: "shop-1", pid: 100)
        try await registry.beat(node: b, host: "shop-1", pid: 200)
        _ = try await Leadership(db, node: b).acquireOrRenew()
        let nodes = try await registry.nodes()
        #expect(Set(nodes.map(\.id)) == [a, b] && a != b, "two processes on one host are two nodes")
        #expect(nodes.first { $0.id == b }?.leads == true && nodes.first { $0.id == a }?.leads == false)
        #expect(nodes.allSatisfy { abs($0.lastHeartbeat.timeIntervalSinceNow) < 60 })
        try await registry.leave(node: a)
        #expect(try await registry.nodes().map(\.id) == [b])
        await db.shutdown()
    }
}

/// Wake-ups by LISTEN/NOTIFY: a node that writes messages is heard by the others once they can be claimed.
@Suite("PostgreSQL: wake-ups")
struct PostgresWakeupTests {
    actor Heard {
        var payloads: [String] = []
        func add(_ p: String) { payloads.append(p) }
    }

    @Test func aNodeThatPlansWakesTheOthers() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let listener = try await TestPostgres.open(settings), writer = LeasedOutbox(try await TestPostgres.open(settings))
        let heard = Heard()
        let listening = Task { try await OutboxWakeups.listen(listener) { await heard.add($0) } }
        let now = TestSupport.instant("2026-12-01T10:00:00+07:00")
        let rendering = [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)]
        // The listener may not be listening yet when the first write commits: write until it hears
        // one (a wait for an event, bounded; not a wait for a schedule).
        var round = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while await heard.payloads.isEmpty, ContinuousClock.now < deadline {
            _ = try await writer.enqueue([OutboxEntry(keys: ["job:W\(round):1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                                                      renderings: rendering, dueAt: now)], now: now)
            round += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await heard.payloads.first == "planned 1")
        // A write that adds nothing (a key planned before) wakes nobody; the next real one does.
        func settled() async throws -> Int {
            var last = -1
            while case let n = await heard.payloads.count, n != last { last = n; try await Task.sleep(for: .milliseconds(200)) }
            return last
        }
        let before = try await settled()
        _ = try await writer.enqueue([OutboxEntry(keys: ["job:W0:1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                                                  renderings: rendering, dueAt: now)], now: now)
        #expect(try await settled() == before, "nothing added, nobody woken")
        _ = try await writer.enqueue([OutboxEntry(keys: ["job:LAST:1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                                                  renderings: rendering, dueAt: now)], now: now)
        let woken = ContinuousClock.now.advanced(by: .seconds(10))
        while await heard.payloads.count == before, ContinuousClock.now < woken { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await heard.payloads.count == before + 1)
        listening.cancel()
        _ = await listening.result
        await listener.shutdown(); await writer.db.shutdown()
    }
}
