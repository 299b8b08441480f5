import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// The store's contract, written against its protocols only (`StoreProtocols.swift`), run
/// against the SQLite store and the PostgreSQL one (issue 15).
struct StoreUnderTest {
    let customers: any CustomerOrderStore
    let outbox: any OutboxStore
    let state: any ServiceStateStore
    let audit: any AuditStore
    let planning: any PlanningSource
    let retention: any OutboxRetentionStore
    /// The platforms' orders, read with the tests' clock and a 24-hour hold.
    let platform: any PlatformOrderStore
    let campaigns: any CampaignStore
    /// The whole store, where the implementation has every part.
    let full: (any CareStore)?
    /// A write by another process, which `dataVersion` must notice.
    var writeElsewhere: () throws -> Void = {}
    /// What happens to messages left `sending` by a process that died: SQLite hands them back
    /// at start-up (one node); PostgreSQL lets another node take them once their leases lapse
    /// (here the database's clock is moved past them).
    var recoverFromCrash: (Date) async throws -> Void = { _ in }

    static let implementations = ["sqlite", "postgres"]
    /// The implementations with every part of `CareStore` (all of them, since issue 15's PostgreSQL store).
    static let complete = implementations

    static func make(_ name: String) async throws -> StoreUnderTest {
        switch name {
        case "sqlite":
            let file = TestSupport.temporaryFolder("contract").appendingPathComponent("carecron.sqlite")
            let store = try Store(url: file)
            var s = StoreUnderTest(customers: store, outbox: store.outbox, state: store, audit: store, planning: store, retention: store,
                                  platform: store.platformOrders(clock: TestSupport.saigon, holdFor: .hours(24)), campaigns: store, full: store)
            s.writeElsewhere = {
                // Another connection, as another process would have.
                let other = try Store(url: file)
                _ = try other.upsert(.customers, ["id": "ELSEWHERE", "full_name": "Lê Văn Tám"], clock: TestSupport.saigon,
                                     holdFor: .hours(24), now: Date())
            }
            s.recoverFromCrash = { now in
                let recovered = try await store.outbox.recoverInFlight(now: now)
                #expect(recovered == 1)
            }
            return s
        case "postgres":
            let settings = try await TestPostgres.freshDatabase()
            let store = PostgresStore(try await TestPostgres.open(settings))
            var s = StoreUnderTest(customers: store, outbox: store.outbox, state: store, audit: store, planning: store, retention: store,
                                  platform: store.platformOrders(clock: TestSupport.saigon, holdFor: .hours(24)), campaigns: store, full: store)
            s.writeElsewhere = {
                try TestPostgres.psql(settings, "INSERT INTO customers (id, full_name, created_at, updated_at) VALUES ('ELSEWHERE', 'Lê Văn Tám', 0, 0)")
            }
            s.recoverFromCrash = { _ in
                let recovered = try await store.outbox.recoverInFlight(now: Date())
                #expect(recovered == 0, "nothing is taken from under a live node")
                try TestPostgres.psql(settings, "UPDATE outbox SET lease_expires_at = now() - interval '1 second' WHERE state = 'sending'")
            }
            return s
        default:
            throw TestServer.ServerError(message: "no store implementation \(name)")
        }
    }
}

@Suite("Store contract")
struct StoreContractTests {
    let now = TestSupport.instant("2026-12-01T10:00:00+07:00")
    let clock = TestSupport.saigon

    func seed(_ s: StoreUnderTest) async throws {
        #expect(try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Trần Thị Lan", "phone": "0912345678"],
                                             clock: clock, holdFor: .hours(24), now: now) == .inserted)
    }

    func message(_ key: String) -> [Rendering] {
        [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin \(key)", params: [:], templateId: nil),
         Rendering(channel: "email", to: "lan@example.vn", subject: "Đơn", text: "thư \(key)", params: [:], templateId: nil)]
    }

    @Test(arguments: StoreUnderTest.implementations)
    func upsertsAreIdempotentAndValidated(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        let again = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Trần Thị Lan", "phone": "0912345678"],
                                                 clock: clock, holdFor: .hours(24), now: now)
        #expect(again == .unchanged)
        let changed = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Trần Thị Lan", "phone": "0912345679"],
                                                   clock: clock, holdFor: .hours(24), now: now)
        #expect(changed == .updated)
        await #expect(throws: FieldProblem.self) {
            try await s.customers.upsert(.customers, ["id": "C2", "full_name": "Mai", "phone": "12"], clock: clock, holdFor: .hours(24), now: now)
        }
        #expect(try await s.customers.customerCount() == 1)
    }

    @Test(arguments: StoreUnderTest.implementations)
    func anOccurrenceIsPlannedOnceAndClaimedByOneCaller(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        for i in 0..<10 {
            #expect(try await s.outbox.enqueue(keys: ["job:O\(i):1"], job: "job", customerId: "C1", orderIds: ["O\(i)"], reminder: 1,
                                               renderings: message("\(i)"), dueAt: now, now: now))
        }
        #expect(try await !s.outbox.enqueue(keys: ["job:O0:1"], job: "job", customerId: "C1", orderIds: ["O0"], reminder: 1,
                                            renderings: message("x"), dueAt: now, now: now), "same key")
        #expect(try await !s.outbox.enqueue(keys: ["job:NEW:1", "job:O1:1"], job: "job", customerId: "C1", orderIds: ["NEW", "O1"],
                                            reminder: 1, renderings: message("y"), dueAt: now, now: now), "one key already planned")
        let outbox = s.outbox, now = self.now
        async let a = outbox.claimDue(now: now, limit: 10)
        async let b = outbox.claimDue(now: now, limit: 10)
        let (first, second) = try await (a, b)
        let ids = first.map(\.id) + second.map(\.id)
        #expect(ids.count == 10 && Set(ids).count == 10, "every message claimed once: \(ids)")
        #expect(try await s.outbox.counts()[.sending] == 10)
        #expect(try await s.outbox.claimDue(now: now, limit: 10).isEmpty)
    }

    /// `n` of C1's reminders, planned and claimed, in id order.
    func claimedReminders(_ n: Int, in s: StoreUnderTest) async throws -> [OutboxMessage] {
        try await seed(s)
        for i in 0..<n {
            _ = try await s.outbox.enqueue(keys: ["job:O\(i):1"], job: "job", customerId: "C1", orderIds: ["O\(i)"], reminder: 1,
                                       renderings: message("\(i)"), dueAt: now, now: now)
        }
        return try await s.outbox.claimDue(now: now, limit: n).sorted { $0.id < $1.id }
    }

    @Test(arguments: StoreUnderTest.implementations)
    func outcomesMoveMessagesAsTheGuaranteeSays(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let claimed = try await claimedReminders(4, in: s)
        #expect(claimed.map(\.attempts) == [1, 1, 1, 1])
        try await s.outbox.markSent(claimed[0].id, providerId: "p-1", at: now)
        try await s.outbox.postpone(claimed[1].id, reason: "sender unavailable", until: now.addingTimeInterval(60))
        #expect(try await s.outbox.fallBack(claimed[2], error: "no Zalo", now: now))
        // claimed[3] stays `sending`: a crash. It is claimed again, with the same key.
        try await s.recoverFromCrash(now)
        let all = try await s.outbox.list(state: nil, limit: 10)
        #expect(try await s.outbox.messages(customerId: "C1", limit: 10).map(\.id) == all.map(\.id), "newest first, all C1's")
        #expect(try await s.outbox.message(claimed[0].id)?.providerMessageId == "p-1")
        func row(_ id: Int64) -> OutboxMessage { all.first { $0.id == id }! }
        #expect(row(claimed[0].id).state == .sent && row(claimed[0].id).providerMessageId == "p-1")
        #expect(row(claimed[1].id).state == .planned && row(claimed[1].id).attempts == 0, "a put-off message keeps its attempts")
        #expect(row(claimed[2].id).rendering.channel == "email" && row(claimed[2].id).attempts == 0 && row(claimed[2].id).fallbacks.isEmpty)
        #expect(try await s.outbox.nextDue() == now)
        let again = try await s.outbox.claimDue(now: now, limit: 10).sorted { $0.id < $1.id }
        #expect(again.map(\.id) == [claimed[2].id, claimed[3].id], "the fallback and the crashed send, not the put-off one")
        #expect(again.last?.key == claimed[3].key && again.last?.attempts == 2, "sent again with the same idempotency key")
        try await s.outbox.markRetry(claimed[3].id, error: "timeout", at: now, now: now)
        #expect(try await s.outbox.drop(claimed[3].id, now: now))
        #expect(try await !s.outbox.drop(claimed[0].id, now: now), "a sent message cannot be dropped")
        try await s.outbox.markDead(claimed[2].id, error: "refused", now: now)
        #expect(try await s.outbox.countsByJob(since: now)["job"] == [.sent: 1, .planned: 1, .cancelled: 1, .dead: 1])
        #expect(try await s.outbox.countsByJob(since: now.addingTimeInterval(1)).isEmpty, "none planned since")
        #expect(try await s.outbox.retry(ids: nil, now: now) == 1, "every dead one back in line")
    }

    /// Delivery receipts (issue 27): matched by the sender and the provider's id (or carecron's
    /// idempotency key), recorded once however often the provider retries, `delivered` final.
    @Test(arguments: StoreUnderTest.implementations)
    func aReceiptIsRecordedOnceOnItsMessage(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let c = try await claimedReminders(3, in: s)
        try await s.outbox.record([.sender(c[0].id, name: "esms"), .sent(c[0].id, providerId: "sms-1", at: now),
                                   .sender(c[1].id, name: "esms"), .sent(c[1].id, providerId: "sms-2", at: now),
                                   .sender(c[2].id, name: "hook"), .sent(c[2].id, providerId: nil, at: now)])
        let later = now.addingTimeInterval(42)
        func receipt(_ sender: String, _ ref: DeliveryReceipt.Reference, _ status: DeliveryReceipt.Status, reason: String? = nil) -> DeliveryReceipt {
            DeliveryReceipt(sender: sender, reference: ref, status: status, at: later, reason: reason)
        }
        #expect(try await s.outbox.record(receipt("esms", .providerId("sms-1"), .delivered), now: later) == .recorded(messageId: c[0].id, channel: "sms"))
        #expect(try await s.outbox.record(receipt("esms", .providerId("sms-1"), .delivered), now: later) == .unchanged(messageId: c[0].id), "a retry")
        #expect(try await s.outbox.record(receipt("esms", .providerId("sms-1"), .undelivered), now: later) == .unchanged(messageId: c[0].id),
                "delivered is final")
        #expect(try await s.outbox.record(receipt("other", .providerId("sms-2"), .delivered), now: later) == .unknown, "another sender's id")
        #expect(try await s.outbox.record(receipt("esms", .providerId("sms-9"), .delivered), now: later) == .unknown)
        #expect(try await s.outbox.record(receipt("esms", .providerId("sms-2"), .undelivered, reason: "SendStatus 4"), now: later) == .recorded(messageId: c[1].id, channel: "sms"))
        #expect(try await s.outbox.record(receipt("esms", .providerId("sms-2"), .delivered), now: later) == .recorded(messageId: c[1].id, channel: "sms"),
                "a later delivery overrides a failure")
        let key = try #require(try await s.outbox.message(c[2].id)?.key)
        #expect(try await s.outbox.record(receipt("hook", .idempotencyKey(key), .undelivered, reason: "mailbox full"), now: later) == .recorded(messageId: c[2].id, channel: "sms"))
        let first = try #require(try await s.outbox.message(c[0].id)), third = try #require(try await s.outbox.message(c[2].id))
        #expect(first.delivery == .delivered && first.deliveredAt == later && first.deliveryReason == nil && first.state == .sent)
        #expect(third.delivery == .undelivered && third.deliveryReason == "mailbox full")
        #expect(try await s.outbox.message(c[1].id)?.delivery == .delivered)
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aGroupOfOutcomesIsRecordedTogetherAndTheFirstSenderStays(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let c = try await claimedReminders(5, in: s)
        let later = now.addingTimeInterval(90.2)
        try await s.outbox.record([
            .sender(c[0].id, name: "webhook"), .sent(c[0].id, providerId: "p-0", at: now),
            .sender(c[1].id, name: "webhook"), .retry(c[1].id, error: "503", next: later, now: now),
            .dead(c[2].id, error: "refused", now: now),
            .cancelled(c[3].id, reason: "paid meanwhile", now: now),
            .sender(c[0].id, name: "other"),
        ])
        func row(_ id: Int64) async throws -> OutboxMessage { try await s.outbox.message(id)! }
        #expect(try await row(c[0].id).state == .sent)
        #expect(try await row(c[0].id).providerMessageId == "p-0")
        #expect(try await row(c[0].id).sender == "webhook", "the sender that took it stays")
        #expect(try await row(c[1].id).state == .failed)
        #expect(try await row(c[1].id).nextAttemptAt == Date(timeIntervalSince1970: later.timeIntervalSince1970.rounded(.up)), "never due early")
        #expect(try await row(c[2].id).state == .dead)
        #expect(try await row(c[3].id).state == .cancelled)
        #expect(try await row(c[4].id).state == .sending, "not in the group: untouched")
        #expect(try await s.outbox.counts() == [.sent: 1, .failed: 1, .dead: 1, .cancelled: 1, .sending: 1])
        try await s.outbox.record([])
    }

    @Test(arguments: StoreUnderTest.implementations)
    func planningSeesOrdersAndOtherWriters(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        #expect(try await s.customers.upsert(.orders, ["id": "O1", "customer_id": "C1", "placed_at": "2026-12-01T08:15:00+07:00",
                                                       "amount": "450000"], clock: clock, holdFor: .hours(24), now: now) == .inserted)
        let input = try await s.planning.planningInput(from: now, to: now.addingTimeInterval(3600), lookback: 86_400, holdFor: 86_400, checkinDays: 3...3,
                                                       clock: clock, ordersFromPlacement: true, overdueOrders: false)
        #expect(input.orders.map(\.id) == ["O1"] && input.customers["C1"] != nil)
        // An unpaid order from long before every replay is read only for a job that expires it (issue 24).
        _ = try await s.customers.upsert(.orders, ["id": "O0", "customer_id": "C1", "placed_at": "2026-10-01T08:15:00+07:00", "amount": "1"],
                                         clock: clock, holdFor: .hours(24), now: now)
        let overdue = try await s.planning.planningInput(from: now, to: now.addingTimeInterval(3600), lookback: 86_400, holdFor: 86_400,
                                                         checkinDays: 3...3, clock: clock, ordersFromPlacement: true, overdueOrders: true)
        #expect(overdue.orders.map(\.id) == ["O0", "O1"])
        let before = try await s.planning.dataVersion()
        try s.writeElsewhere()
        #expect(try await s.planning.dataVersion() != before, "another writer's commit is seen")
        #expect(try await s.customers.expire(orderIds: ["O1"], at: now, now: now) == 1)
        #expect(try await s.customers.expire(orderIds: ["O1"], at: now, now: now) == 0, "once")
        #expect(try await s.customers.forget(customerId: "C1", now: now))
        #expect(try await !s.customers.forget(customerId: "C1", now: now))
    }

    @Test(arguments: StoreUnderTest.implementations)
    func expiryAndErasureHappenOnce(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        for (id, paid) in [("O1", nil), ("O2", "2026-12-01T09:00:00+07:00")] as [(String, String?)] {
            var fields = ["id": id, "customer_id": "C1", "placed_at": "2026-11-30T08:15:00+07:00", "amount": "450000"]
            if let paid { fields["paid_at"] = paid; fields["status"] = "paid" }
            #expect(try await s.customers.upsert(.orders, fields, clock: clock, holdFor: .hours(24), now: now) == .inserted)
        }
        await #expect(throws: FieldProblem.self) {
            try await s.customers.upsert(.orders, ["id": "O9", "customer_id": "NOBODY", "placed_at": "2026-11-30T08:15:00+07:00",
                                                   "amount": "1"], clock: clock, holdFor: .hours(24), now: now)
        }
        #expect(try await s.customers.expire(orderIds: ["O1", "O2"], at: now, now: now) == 1, "a paid order does not expire")
        #expect(try await s.customers.expire(orderIds: ["O1"], at: now, now: now) == 0, "once")
        #expect(try await s.customers.sendingFacts(customerId: nil, orderIds: ["O1"], sameJob: nil).orders.first?.expiredAt == now)
        // A payment after expiry is kept (and flagged), never lost.
        #expect(try await s.customers.apply(.payment, orderId: "O1", at: now, holdFor: .hours(24), now: now) == .updated)
        #expect(try await s.customers.sendingFacts(customerId: nil, orderIds: ["O1"], sameJob: nil).orders.first?.status == .paid)
        await #expect(throws: OrderEvents.Failure.self) {
            try await s.customers.apply(.delivery, orderId: "NOPE", at: now, holdFor: .hours(24), now: now)
        }
        _ = try await s.outbox.enqueue(keys: ["job:O1:1"], job: "job", customerId: "C1", orderIds: ["O1"], reminder: 1,
                                   renderings: message("1"), dueAt: now, now: now)
        #expect(try await s.customers.forget(customerId: "C1", now: now))
        #expect(try await !s.customers.forget(customerId: "C1", now: now))
        #expect(try await s.customers.customerWithOrders(id: "C1") == nil)
        #expect(try await s.outbox.list(state: nil, limit: 10).isEmpty, "the customer's messages go with them")
        #expect(try await s.outbox.enqueue(keys: ["job:O1:1"], job: "job", customerId: nil, orderIds: [], reminder: 1,
                                           renderings: message("1"), dueAt: now, now: now), "and so do their keys")
    }

    @Test(arguments: StoreUnderTest.implementations)
    func oldFinishedMessagesLeaveButTheirCountsAndKeysStay(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let old = now.addingTimeInterval(-100 * 86_400)
        for i in 0..<3 {
            _ = try await s.outbox.enqueue(keys: ["job:R\(i):1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                                       renderings: message("\(i)"), dueAt: old, now: old)
        }
        for m in try await s.outbox.claimDue(now: old, limit: 3) { try await s.outbox.markSent(m.id, providerId: nil, at: old) }
        _ = try await s.outbox.enqueue(keys: ["job:R9:1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                                   renderings: message("9"), dueAt: now, now: now)
        let pass = try await OutboxRetention.run(s.retention, keepFor: .days(90), now: now, batchSize: 2)
        #expect(pass.messages == 3 && pass.keys == 0 && pass.finished)
        #expect(try await s.outbox.list(state: nil, limit: 10).map(\.key) == ["job:R9:1"], "only the recent message is left")
        #expect(try await s.outbox.counts() == [.sent: 3, .planned: 1], "the totals keep the purged")
        #expect(try await !s.outbox.enqueue(keys: ["job:R0:1"], job: "job", customerId: nil, orderIds: [], reminder: nil,
                                            renderings: message("0"), dueAt: now, now: now), "a purged message's key is still planned")
        let later = try await OutboxRetention.run(s.retention, keepFor: .days(90), now: old.addingTimeInterval(401 * 86_400))
        #expect(later.keys == 3, "keys of purged messages go once no job can plan them again")
    }

    @Test(arguments: StoreUnderTest.implementations)
    func serviceStateRoundTrips(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        #expect(try await s.state.heartbeat() == nil)
        try await s.state.beat(now)
        #expect(try await s.state.heartbeat() == now)
        try await s.state.recordIntegrity(["page 7 is damaged"], at: now)
        let check = try await s.state.lastIntegrity()
        #expect(check?.at == now && check?.problems == ["page 7 is damaged"])
    }

    @Test(arguments: StoreUnderTest.implementations)
    func claimsComeInDueOrderAndOneAtATimePerMessage(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        // Planned in the reverse of their due order: the claim takes the earliest first.
        for i in (0..<5).reversed() {
            _ = try await s.outbox.enqueue(keys: ["job:D\(i):1"], job: "job", customerId: "C1", orderIds: ["D\(i)"], reminder: 1,
                                       renderings: message("\(i)"), dueAt: now.addingTimeInterval(Double(i * 60)), now: now)
        }
        let later = now.addingTimeInterval(600)
        let first = try await s.outbox.claimDue(now: later, limit: 3)
        #expect(first.map(\.orderIds) == [["D0"], ["D1"], ["D2"]] && first.allSatisfy { $0.state == .sending && $0.attempts == 1 })
        #expect(try await s.outbox.claimDue(now: now.addingTimeInterval(170), limit: 5).map(\.orderIds) == [],
                "D3 is due at 180 s, not before")
        #expect(try await s.outbox.claimDue(now: later, limit: 5).map(\.orderIds) == [["D3"], ["D4"]])
    }

    @Test(arguments: StoreUnderTest.implementations)
    func sendingFactsAreTheCustomerAndOrdersAsTheyAreNow(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        for (id, status) in [("P1", "pending"), ("P2", "paid")] {
            _ = try await s.customers.upsert(.orders, ["id": id, "customer_id": "C1", "placed_at": "2026-12-01T08:15:00+07:00",
                                                   "amount": "450000", "status": status], clock: clock, holdFor: .hours(24), now: now)
        }
        let profile = try #require(try await s.customers.customerWithOrders(id: "C1"))
        #expect(profile.customer.facts.name.full == "Trần Thị Lan" && Set(profile.orders.map(\.id)) == ["P1", "P2"])
        #expect(try await s.customers.customerWithOrders(id: "NOBODY") == nil)
        let facts = try await s.customers.sendingFacts(customerId: "C1", orderIds: ["P1", "P2", "GONE"], sameJob: nil)
        #expect(facts.optOut == OptOut.none)
        #expect(facts.orders.sorted { $0.id < $1.id }.map { "\($0.id) \($0.status?.rawValue ?? "?")" } == ["P1 pending", "P2 paid"])
        #expect(try await s.customers.apply(.cancel, orderId: "P1", at: now, holdFor: .hours(24), now: now) == .updated)
        #expect(try await s.customers.apply(.cancel, orderId: "P1", at: now, holdFor: .hours(24), now: now) == .unchanged)
        await #expect(throws: OrderEvents.Failure.self) {
            try await s.customers.apply(.payment, orderId: "P1", at: now, holdFor: .hours(24), now: now)
        }
        let cancelled = try await s.customers.sendingFacts(customerId: "C1", orderIds: ["P1"], sameJob: nil)
        #expect(cancelled.orders.first?.status == .cancelled)
        _ = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Trần Thị Lan", "phone": "0912345678", "opt_out": "marketing"],
                                     clock: clock, holdFor: .hours(24), now: now)
        #expect(try await s.customers.sendingFacts(customerId: "C1", orderIds: [], sameJob: nil).optOut == .marketing)
        #expect(try await s.customers.sendingFacts(customerId: "NOBODY", orderIds: [], sameJob: nil).optOut == nil, "a missing customer has no opt-out")
    }

    @Test(arguments: StoreUnderTest.implementations)
    func platformDeliveriesAreRememberedOnce(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let orders = s.platform
        #expect(try await !orders.seen(webhook: "w-1"))
        try await orders.remember(webhook: "w-1", topic: "orders/create", at: now)
        try await orders.remember(webhook: "w-1", topic: "orders/create", at: now)
        #expect(try await orders.seen(webhook: "w-1"))
        #expect(try await !orders.exists(orderId: "SHOP-1"))
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aPlatformsOrderMovesOnlyForwardAndNeverBackInTime(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        func update(_ status: OrderStatus, updated: String, phone: String = "0912345678") -> PlatformOrderUpdate {
            PlatformOrderUpdate(customer: ["id": "S-C1", "full_name": "Trần Thị Lan", "phone": phone],
                                order: ["id": "S-1", "customer_id": "S-C1", "placed_at": "2026-12-01T08:15:00+07:00", "amount": "450000"],
                                status: status, paidAt: nil, cancelledAt: nil, updatedAt: TestSupport.instant(updated))
        }
        #expect(try await s.platform.apply(update(.pending, updated: "2026-12-01T08:15:00+07:00", phone: "12"), now: now) == .inserted,
                "an unreadable phone does not lose the order")
        #expect(try await s.platform.apply(update(.pending, updated: "2026-12-01T08:15:00+07:00"), now: now) == .unchanged)
        #expect(try await s.platform.apply(update(.paid, updated: "2026-12-01T09:00:00+07:00"), now: now) == .updated)
        let stale = try await s.platform.apply(update(.pending, updated: "2026-12-01T08:30:00+07:00"), now: now)
        #expect(stale == .stale(storedUpdatedAt: TestSupport.instant("2026-12-01T09:00:00+07:00")))
        #expect(try await s.platform.apply(update(.pending, updated: "2026-12-01T09:30:00+07:00"), now: now) == .updated,
                "a newer statement is recorded (its time), but cannot take a paid order back to pending")
        let facts = try await s.customers.sendingFacts(customerId: "S-C1", orderIds: ["S-1"], sameJob: nil)
        #expect(facts.orders.first?.status == .paid && facts.orders.first?.paidAt == TestSupport.instant("2026-12-01T09:00:00+07:00"))
        try await s.platform.noteUpdated(orderId: "S-1", at: TestSupport.instant("2026-12-01T10:00:00+07:00"))
        #expect(try await s.platform.storedUpdatedAt(orderId: "S-1") == TestSupport.instant("2026-12-01T10:00:00+07:00"))
        #expect(try await s.platform.exists(orderId: "S-1"))
    }

    @Test(arguments: StoreUnderTest.implementations)
    func anAudienceIsTheSameSQLOnEveryStore(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let people: [(String, String, String, String)] = [  // id, name, tier, opt_out
            ("A1", "Trần Thị Lan", "Gold", "none"), ("A2", "Nguyễn Văn Hùng", "Gold", "none"), ("A3", "Lê Thị Mai", "Gold", "marketing"),
            ("A4", "Phạm Thị Hoa", "Standard", "none"), ("A5", "Đỗ Thị Thu", "", "none"),
        ]
        for (id, full, tier, optOut) in people {
            var fields = ["id": id, "full_name": full, "phone": "0912345678", "opt_out": optOut, "birthday": "1990-03-08",
                          "gender": full.contains("Văn") ? "male" : "female"]
            if !tier.isEmpty { fields["tier"] = tier }
            if id == "A4" { fields["email"] = "hoa@example.com" }
            _ = try await s.customers.upsert(.customers, fields, clock: clock, holdFor: .hours(24), now: now)
        }
        for (id, customer, amount) in [("B1", "A1", "3000000"), ("B2", "A1", "2500000"), ("B3", "A4", "9000000"), ("B4", "A5", "6000000")] {
            _ = try await s.customers.upsert(.orders, ["id": id, "customer_id": customer, "placed_at": "2026-11-20T10:00:00+07:00", "amount": amount,
                                                   "status": "paid", "paid_at": "2026-11-20T10:05:00+07:00"], clock: clock, holdFor: .hours(24), now: now)
        }
        var f = AudienceFilter()
        f.tiers = ["Gold", "Standard"]
        f.genders = [.female]
        f.birthdayMonths = [3]
        let women = AudienceRequest(key: "k", filter: f, at: now, purpose: .marketing, entryTier: "Standard")
        let page1 = try await s.campaigns.audience(women, after: nil, limit: 2).map(\.id)
        let page2 = try await s.campaigns.audience(women, after: page1.last, limit: 2).map(\.id)
        #expect(page1 + page2 == ["A1", "A4", "A5"], "A5 has no tier: the entry tier; A3 opted out of advertising; A2 is a man")
        #expect(try await s.campaigns.audienceCount(women) == AudienceCount(members: 3, optedOut: 1))
        // The form's count of who has an address for none of the campaign's channels.
        func reachable(_ channels: [ChannelKind]) async throws -> AudienceCount {
            try await s.campaigns.audienceCount(AudienceRequest(key: "k", filter: women.filter, at: now, purpose: .marketing, entryTier: "Standard",
                                                                channels: channels))
        }
        #expect(try await reachable([.email]) == AudienceCount(members: 3, optedOut: 1, unreachable: 2), "only A4 has an email")
        #expect(try await reachable([.email, .sms]).unreachable == 0)
        #expect(try await reachable([.email, .webhook]).unreachable == 0, "a webhook needs no address of the customer's")
        f = AudienceFilter()
        f.spentAtLeast = 5_000_000
        f.customerIds = ["A1", "A4", "A2"]
        let spenders = AudienceRequest(key: "k", filter: f, at: now, purpose: .care, entryTier: nil)
        #expect(try await s.campaigns.audience(spenders, after: nil, limit: 10).map(\.id) == ["A1", "A4"])
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aCampaignRunIsWrittenAPageAtATimeAndPausedResumedCancelled(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        let id = "tet-greeting:2027-02-06"
        var run = CampaignRun(id: id, job: "tet-greeting", occasion: "2027-02-06", state: .writing)
        run.baseAt = now
        run.audience = 3
        #expect(try await s.campaigns.beginCampaignRun(run, now: now) == run)
        #expect(try await s.campaigns.beginCampaignRun(CampaignRun(id: id, job: "x", occasion: "y", state: .writing), now: now) == run,
                "a run begun is not begun again")
        func entry(_ k: String, due: Date) -> OutboxEntry {
            OutboxEntry(keys: ["campaign:\(id):\(k)"], job: "tet-greeting", customerId: "C1", orderIds: [], reminder: nil,
                        renderings: message(k), dueAt: due, priority: 2, campaign: id)
        }
        run.cursor = "C1"
        run.written = 1
        #expect(try await s.campaigns.writeCampaignPage([entry("a", due: now), entry("b", due: now.addingTimeInterval(600))], run: run, now: now) == 2)
        run = try #require(try await s.campaigns.campaignRun(id))
        #expect(run.planned == 2 && run.cursor == "C1" && run.written == 1, "the page and the progress, together")
        #expect(try await s.campaigns.writeCampaignPage([entry("a", due: now)], run: run, now: now) == 0, "an occasion is planned once")
        let paused = try await s.campaigns.pauseCampaign(run, now: now)
        #expect(paused.state == .paused && paused.pausedAt == now)
        #expect(try await s.campaigns.writeCampaignPage([entry("c", due: now)], run: run, now: now) == nil, "a paused run writes nothing")
        #expect(try await s.campaigns.campaignStatus(id).messages == [.paused: 2])
        let later = now.addingTimeInterval(3600)
        let resumed = try #require(try await s.campaigns.resumeCampaign(id, now: later))
        #expect(resumed.state == .writing && resumed.baseAt == later, "paced later by the pause")
        #expect(try await s.outbox.claimDue(now: later, limit: 10).map(\.key) == ["campaign:\(id):a"], "due an hour later")
        #expect(try await s.campaigns.advertisingTimes(customerIds: ["C1"], from: now, to: later.addingTimeInterval(3600), excluding: "other")["C1"]?.count == 2)
        #expect(try await s.campaigns.advertisingTimes(customerIds: ["C1"], from: now, to: later.addingTimeInterval(3600), excluding: id).isEmpty)
        #expect(try await s.campaigns.cancelCampaign(resumed, now: later) == 1, "the one not on its way")
        #expect(try await s.campaigns.campaignStatus(id).run?.state == .cancelled)
    }

    /// Issue 24, item 10: retention takes an occasion's old messages, not its totals.
    @Test(arguments: StoreUnderTest.implementations)
    func aCampaignsCountsOutliveItsPurgedMessages(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await seed(s)
        let old = now.addingTimeInterval(-100 * 86_400)
        let id = "tet-greeting:2026-08-20"
        var run = CampaignRun(id: id, job: "tet-greeting", occasion: "2026-08-20", state: .writing)
        run.baseAt = old
        run.audience = 3
        _ = try await s.campaigns.beginCampaignRun(run, now: old)
        let entries = ["a", "b", "c"].map {
            OutboxEntry(keys: ["campaign:\(id):\($0)"], job: "tet-greeting", customerId: "C1", orderIds: [], reminder: nil,
                        renderings: message($0), dueAt: old, priority: 2, campaign: id)
        }
        #expect(try await s.campaigns.writeCampaignPage(entries, run: run, now: old) == 3)
        let claimed = try await s.outbox.claimDue(now: old, limit: 3)
        try await s.outbox.markSent(claimed[0].id, providerId: nil, at: old)
        try await s.outbox.markSent(claimed[1].id, providerId: nil, at: old)
        try await s.outbox.unclaim(claimed[2].id)
        let before = try await s.campaigns.campaignStatus(id).messages
        #expect(before == [.sent: 2, .planned: 1])
        let pass = try await OutboxRetention.run(s.retention, keepFor: .days(90), now: now)
        #expect(pass.messages == 2)
        #expect(try await s.campaigns.campaignStatus(id).messages == before, "the totals keep the purged")
    }

    @Test(arguments: StoreUnderTest.implementations)
    func theAuditLogKeepsWhoDidWhatNewestFirst(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        try await s.audit.record(AuditEntry(at: now, user: "lan", action: "save", subject: "jobs/birthday.json", detail: "2 lines changed"))
        try await s.audit.record(AuditEntry(at: now.addingTimeInterval(60), user: "minh", action: "retry", subject: "outbox 7"))
        let entries = try await s.audit.recent(limit: 10)
        #expect(entries.map(\.user) == ["minh", "lan"] && entries[1].detail == "2 lines changed" && entries[1].at == now)
        #expect(try await s.audit.recent(limit: 1).count == 1)
    }
}
