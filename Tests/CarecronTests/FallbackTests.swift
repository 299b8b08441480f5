import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// Falling back on non-delivery (issue 27, item 2): a sent message waits for its receipt; an
/// undelivered one, or none in time, plans it again on the job's next channel, once.
@Suite("Fallback on non-delivery")
struct FallbackTests {
    let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    func zaloThenSMS(wait: Int) -> [Rendering] {
        var zalo = Rendering(channel: "zalo", to: "+84912345678", subject: nil, text: "tin", params: ["name": "Lan"], templateId: "231")
        zalo.awaitReceipt = wait
        return [zalo, Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin SMS", params: [:], templateId: nil)]
    }

    /// Three messages sent on Zalo, each waiting 10 minutes for its receipt.
    func sentOnZalo(_ s: StoreUnderTest) async throws -> [OutboxMessage] {
        _ = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"],
                                         clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        for i in 0..<3 {
            _ = try await s.outbox.enqueue(keys: ["job:O\(i):1"], job: "job", customerId: "C1", orderIds: ["O\(i)"], reminder: 1,
                                           renderings: zaloThenSMS(wait: 600), dueAt: now, now: now)
        }
        let claimed = try await s.outbox.claimDue(now: now, limit: 3).sorted { $0.id < $1.id }
        #expect(claimed.first?.rendering.awaitReceipt == 600, "the wait is kept with the rendering")
        try await s.outbox.record(claimed.flatMap { m in
            [OutboxOutcome.sender(m.id, name: "zalo"), .sent(m.id, providerId: "z-\(m.id)", at: now, receiptDue: now.addingTimeInterval(600))]
        })
        return claimed
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aMessageNotDeliveredFallsBackOnceOnItsNextChannel(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let m = try await sentOnZalo(s)
        #expect(try await s.outbox.awaitingFallback(dueBy: now.addingTimeInterval(599), limit: 10).isEmpty, "still waiting")
        #expect(try await s.outbox.nextReceiptDue() == now.addingTimeInterval(600))

        // The first is delivered: its wait ends. The second is reported undelivered: due at once.
        let at = now.addingTimeInterval(60)
        _ = try await s.outbox.record(DeliveryReceipt(sender: "zalo", reference: .providerId("z-\(m[0].id)"), status: .delivered, at: at), now: at)
        _ = try await s.outbox.record(DeliveryReceipt(sender: "zalo", reference: .providerId("z-\(m[1].id)"), status: .undelivered, at: at,
                                                      reason: "no Zalo account"), now: at)
        let undelivered = try await s.outbox.awaitingFallback(dueBy: at, limit: 10)
        #expect(undelivered.map(\.id) == [m[1].id] && undelivered.first?.delivery == .undelivered)
        #expect(try await s.outbox.fallBackUndelivered(undelivered[0], reason: "zalo not delivered", at: at, now: at))
        #expect(try await !s.outbox.fallBackUndelivered(undelivered[0], reason: "again", at: at, now: at), "once")

        // The third hears nothing: due when its wait ends.
        let late = now.addingTimeInterval(600)
        let silent = try await s.outbox.awaitingFallback(dueBy: late, limit: 10)
        #expect(silent.map(\.id) == [m[2].id])
        #expect(try await s.outbox.fallBackUndelivered(silent[0], reason: "no receipt", at: late, now: late))
        #expect(try await s.outbox.awaitingFallback(dueBy: late.addingTimeInterval(86_400), limit: 10).isEmpty)
        #expect(try await s.outbox.nextReceiptDue() == nil)

        let delivered = try #require(try await s.outbox.message(m[0].id))
        #expect(delivered.state == .sent && delivered.rendering.channel == "zalo" && delivered.delivery == .delivered)
        let again = try await s.outbox.claimDue(now: late, limit: 10).sorted { $0.id < $1.id }
        #expect(again.map(\.id) == [m[1].id, m[2].id], "both planned again, same rows and keys")
        #expect(again.allSatisfy { $0.rendering.channel == "sms" && $0.fallbacks.isEmpty && $0.delivery == nil && $0.providerMessageId == nil })
        #expect(again.map(\.key) == [m[1].key, m[2].key])
        #expect(try await s.outbox.deliveryCounts() == ["zalo": [.delivered: 1, .undelivered: 1]])
    }

    /// A late "delivered" for a message that already fell back matches nothing: the row now
    /// carries the SMS gateway's id, and the wait is over.
    @Test func aDeliveredMessageNeverFallsBack() async throws {
        let s = try await StoreUnderTest.make("sqlite")
        let m = try await sentOnZalo(s)
        _ = try await s.outbox.record(DeliveryReceipt(sender: "zalo", reference: .providerId("z-\(m[0].id)"), status: .delivered, at: now), now: now)
        #expect(try await !s.outbox.fallBackUndelivered(m[0], reason: "late", at: now, now: now), "delivered: the guard refuses")
    }

    func check(_ job: [String: Any]) throws -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        var text = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/payment-reminder.json"))) as! [String: Any]
        for (k, v) in job { text[k] = v }
        // A Zalo channel needs each variant's ZNS template.
        text["templates"] = (text["templates"] as! [[String: Any]]).map { v in
            var v = v
            v["zalo"] = ["templateId": "231", "params": ["customer_name": "{{customer.salutation}}"]]
            return v
        }
        return JobLoader.check(text: String(decoding: try JSONSerialization.data(withJSONObject: text), as: UTF8.self), name: "payment-reminder", config: config)
    }

    @Test func aJobSaysHowLongEachChannelWaits() throws {
        let both = try check(["channels": ["zalo", "sms", "email"], "fallbackAfter": "10m"])
        let job = try #require(both.job, "\(both.diagnostics)")
        #expect(job.fallbackAfter == [.zalo: .minutes(10), .sms: .minutes(10)], "a duration: every channel but the last")
        let one = try #require(try check(["channels": ["zalo", "sms"], "fallbackAfter": ["zalo": "15m"]]).job)
        #expect(DeliveryFallback.wait(one, on: .zalo) == .minutes(15) && DeliveryFallback.wait(one, on: .sms) == nil)
        // The shop's config.json sends Zalo through the console sender: no receipts, so every message would go twice.
        let warned = try check(["channels": ["zalo", "sms"], "fallbackAfter": ["zalo": "15m"]]).diagnostics
        #expect(warned.contains { $0.severity == .warning && $0.sentence?.code == "check.fallback_no_receipts" && $0.path.hasSuffix("fallbackAfter.zalo") },
                "\(warned)")

        let problems = try check(["channels": ["zalo", "sms"], "fallbackAfter": ["sms": "10m", "email": "5m", "zalo": "10s"]]).diagnostics
            .filter { $0.severity == .error }.compactMap(\.sentence?.code)
        #expect(Set(problems) == ["check.fallback_last", "check.fallback_channel", "check.fallback_wait"], "\(problems)")
        let said = try check(["channels": ["zalo", "sms"], "fallbackAfter": ["sms": "10m"]]).diagnostics.first { $0.severity == .error }
        #expect(said?.sentence?.text(.vi) == "sms là kênh cuối cùng: không còn kênh nào để gửi thay khi tin không đến")
    }

    /// `simulate --explain` and the console's plan say what happens if no receipt comes.
    @Test func thePlanSaysWhichChannelFollows() throws {
        let job = try #require(try check(["channels": ["zalo", "sms"], "fallbackAfter": ["zalo": "10m"]]).job)
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        var planner = CarePlanner(policy: config.policy, jobs: [job])
        planner.explain = true
        let placed = TestSupport.instant("2026-12-07T09:00:00+07:00")
        let customer = CustomerSnapshot(facts: CustomerFacts(id: "C1", name: CustomerName("Nguyễn Thị Lan"), gender: .female, phone: "+84912345678"))
        let order = OrderSnapshot(id: "O1", customerId: "C1", placedAt: placed, amount: 350_000, items: "Son")
        let events = planner.plan(PlanningInput(customers: ["C1": customer], orders: [order]), from: placed, to: placed.addingTimeInterval(86_400))
        let message = try #require(events.first { $0.kind == .message })
        #expect(message.channel == .zalo && message.awaitReceipt == 600)
        #expect(message.fallbackNote?.text(.vi) == "Nếu sau 10 phút zalo chưa báo đã đến khách, gửi lại bằng sms", "\(String(describing: message.fallbackNote))")
        #expect(message.jsonFields(clock: config.clock).contains { $0.0 == "fallback" })
    }
}
