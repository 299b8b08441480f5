import CarecronDomain
import CarecronStorage
import Foundation
import Testing

/// Issue 27 and 28's store parts on both stores (the SQLite file and PostgreSQL): an opt-out set
/// by hand, and what the outcomes report reads.
@Suite("Store contract: opt-outs and outcomes")
struct OutcomeStoreTests {
    let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    @Test(arguments: StoreUnderTest.implementations)
    func anOptOutSetByHandCancelsWhatItForbidsAndTheReportReadsTheRows(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        _ = try await s.customers.upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"],
                                         clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)
        var greeting = OutboxEntry(keys: ["birthday:C1:2026"], job: "birthday", customerId: "C1", orderIds: [], reminder: nil, renderings: [sms],
                                   dueAt: now.addingTimeInterval(3600))
        greeting.variant = 1
        var held = OutboxEntry(keys: ["win-back:C1:x"], job: "win-back", customerId: "C1", orderIds: [], reminder: nil, renderings: [sms],
                               dueAt: now.addingTimeInterval(60))
        held.heldOut = Holdout(share: 0.05).reason.description
        let reminder = OutboxEntry(keys: ["payment-reminder:O1:1"], job: "payment-reminder", customerId: "C1", orderIds: ["O1"], reminder: 1,
                                   renderings: [sms], dueAt: now.addingTimeInterval(120))
        #expect(try await s.outbox.enqueue([greeting, held, reminder], now: now) == [true, true, true])

        let data = try await store.outcomeData(from: now, to: now.addingTimeInterval(86_400), ordersUntil: now.addingTimeInterval(86_400))
        #expect(data.funnel.count == 3 && data.funnel.first { $0.job == "birthday" }?.variant == 1)
        #expect(data.funnel.filter(\.heldOut).map(\.job) == ["win-back"] && data.messages.map(\.job) == ["win-back"], "only the group's row is a message yet")

        let change = try await store.setOptOut(customerId: "C1", to: OptOutScope(.marketing, advertisingJobs: ["birthday"]), user: "lan", now: now)
        #expect(change == OptOutChange(previous: .none, cancelled: 1))
        #expect(try await s.outbox.planned(keys: ["birthday:C1:2026"])["birthday:C1:2026"]?.state == .cancelled)
        #expect(try await s.outbox.planned(keys: ["payment-reminder:O1:1"])["payment-reminder:O1:1"]?.state == .planned)
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: []).optOut == .marketing)
        #expect(try await store.recent(limit: 3).contains { $0.action == "opt-out set" && $0.user == "lan" && $0.subject == "C1" })
        #expect(try await store.setOptOut(customerId: "C1", to: OptOutScope(.marketing, advertisingJobs: []), user: "lan", now: now)
                == OptOutChange(previous: .marketing, cancelled: 0), "the same again changes nothing")
        #expect(try await store.setOptOut(customerId: "nobody", to: OptOutScope(.all, advertisingJobs: []), user: "lan", now: now) == nil)
    }
}
