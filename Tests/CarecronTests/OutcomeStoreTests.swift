import CarecronConfig
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

        _ = try await store.refreshConversions(goals: OutcomeGoals(jobs: [], holdFor: .hours(24)), limit: 100)
        let buckets = try await store.outcomeBuckets(from: now, to: now.addingTimeInterval(86_400), time: .none, byTier: false)
        #expect(buckets.reduce(0) { $0 + $1.planned } == 3 && buckets.first { $0.job == "birthday" }?.variant == 1)
        #expect(buckets.filter { $0.heldOut > 0 }.map(\.job) == ["win-back"])
        #expect(try await store.attributionData(customers: ["C1"]).messages.map(\.job) == ["win-back"], "only the group's row is a message yet")

        let change = try await store.setOptOut(customerId: "C1", to: OptOutScope(.marketing, advertisingJobs: ["birthday"]), user: "lan", now: now)
        #expect(change == OptOutChange(previous: .none, cancelled: 1))
        #expect(try await s.outbox.planned(keys: ["birthday:C1:2026"])["birthday:C1:2026"]?.state == .cancelled)
        #expect(try await s.outbox.planned(keys: ["payment-reminder:O1:1"])["payment-reminder:O1:1"]?.state == .planned)
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: nil).optOut == .marketing)
        #expect(try await store.recent(limit: 3).contains { $0.action == "opt-out set" && $0.user == "lan" && $0.subject == "C1" })
        #expect(try await store.setOptOut(customerId: "C1", to: OptOutScope(.marketing, advertisingJobs: []), user: "lan", now: now)
                == OptOutChange(previous: .marketing, cancelled: 0), "the same again changes nothing")
        #expect(try await store.setOptOut(customerId: "nobody", to: OptOutScope(.all, advertisingJobs: []), user: "lan", now: now) == nil)
    }

    /// A survey's answers on both stores: one per job, customer and order (the page's link is
    /// single use), the open survey a reply answers, the low scores newest first; the last
    /// sending of a job, for its "at most every N days".
    @Test(arguments: StoreUnderTest.implementations)
    func surveyAnswersAreKeptOnceAndTheLowOnesListed(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        for (id, phone) in [("C1", "0912345678"), ("C2", "0987654321")] {
            _ = try await s.customers.upsert(.customers, ["id": id, "full_name": "Nguyễn Thị Lan", "phone": phone], clock: TestSupport.saigon, holdFor: .hours(24), now: now)
        }
        let sent = now.addingTimeInterval(-3600)
        let survey = OutboxEntry(keys: ["survey-csat:O1"], job: "survey-csat", customerId: "C1", orderIds: ["O1"], reminder: nil,
                                 renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)], dueAt: sent)
        #expect(try await s.outbox.enqueue([survey], now: sent) == [true])
        let claimed = try #require(try await s.outbox.claimDue(now: sent, limit: 5).first)
        try await s.outbox.record([.sender(claimed.id, name: "gw"), .sent(claimed.id, providerId: "p1", at: sent)])
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: ("survey-csat", now.addingTimeInterval(-86_400))).lastSentOfJob == sent)
        #expect(try await store.sendingFacts(customerId: "C1", orderIds: [], sameJob: ("birthday", now.addingTimeInterval(-86_400))).lastSentOfJob == nil)
        #expect(try await store.openSurvey(customerId: "C1", jobs: ["survey-csat"], since: sent) == OpenSurvey(job: "survey-csat", orderId: "O1", sentAt: sent))
        #expect(try await store.openSurvey(customerId: "C2", jobs: ["survey-csat"], since: sent) == nil)

        let low = SurveyAnswer(job: "survey-csat", customerId: "C1", orderId: "O1", measure: .csat, score: 2, source: .reply, answeredAt: now)
        guard case .stored(let stored) = try await store.recordSurveyAnswer(low) else { Issue.record("not stored"); return }
        #expect(stored.id > 0 && stored.score == 2 && stored.phone == "+84912345678" && stored.customerName == "Nguyễn Thị Lan")
        guard case .alreadyAnswered(let first) = try await store.recordSurveyAnswer(SurveyAnswer(job: "survey-csat", customerId: "C1", orderId: "O1", measure: .csat,
                                                                                                     score: 5, source: .page, answeredAt: now)) else {
            Issue.record("answered twice"); return
        }
        #expect(first.score == 2, "the first answer stands")
        #expect(try await store.openSurvey(customerId: "C1", jobs: ["survey-csat"], since: sent) == nil, "answered: no longer open")
        _ = try await store.recordSurveyAnswer(SurveyAnswer(job: "nps", customerId: "C2", orderId: "", measure: .nps, score: 9, source: .page, answeredAt: now.addingTimeInterval(60)))
        _ = try await store.recordSurveyAnswer(SurveyAnswer(job: "nps", customerId: "C1", orderId: "", measure: .nps, score: 3, source: .page, answeredAt: now.addingTimeInterval(120)))
        #expect(try await store.lowScores(limit: 10).map { "\($0.job) \($0.customerId) \($0.score)" } == ["nps C1 3", "survey-csat C1 2"])
        #expect(try await store.surveyAnswers(from: now, to: now.addingTimeInterval(121)).map(\.score) == [2, 9, 3])
        #expect(try await store.surveyAnswer(job: "nps", customerId: "C2", orderId: "")?.score == 9)
    }
    /// Issue 28, item 8: the sums both stores keep as messages and orders change give the worked
    /// example's figures by hand, follow an order refunded and a message's receipt, and are what
    /// a recomputation of the whole shop gives.
    @Test(arguments: StoreUnderTest.implementations)
    func theKeptSumsAreTheHandsAndARecomputationsFigures(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let store = try #require(s.full)
        let ex = try AttributionTests.example()
        let clock = TestSupport.saigon, created = TestSupport.instant("2026-11-30T00:00:00+07:00")
        for c in Set(ex.messages.map(\.customerId)).sorted() {
            _ = try await s.customers.upsert(.customers, ["id": c, "full_name": "Khách \(c)", "phone": "091200000\(c.dropFirst())"], clock: clock,
                                             holdFor: .hours(24), now: created)
        }
        func order(_ o: OrderRecord, status: OrderStatus? = nil) async throws {
            var row = ["id": o.id, "customer_id": o.customerId, "placed_at": InstantFormat.format(o.placedAt, clock: clock), "amount": "\(o.amount)",
                       "status": (status ?? o.status).rawValue]
            if let p = o.paidAt { row["paid_at"] = InstantFormat.format(p, clock: clock) }
            _ = try await s.customers.upsert(.orders, row, clock: clock, holdFor: .hours(24), now: created)
        }
        for o in ex.orders { try await order(o) }
        for m in ex.messages {
            var entry = OutboxEntry(keys: ["ex:\(m.id)"], job: m.job, customerId: m.customerId, orderIds: m.orderIds, reminder: nil,
                                    renderings: [Rendering(channel: m.channel, to: "+84912000000", subject: nil, text: "tin", params: [:], templateId: nil)],
                                    dueAt: m.at)
            if m.heldOut { entry.heldOut = Holdout(share: 0.05).reason.description }
            _ = try await s.outbox.enqueue([entry], now: created)
            guard !m.heldOut, let claimed = try await s.outbox.claimDue(now: m.at, limit: 10).first else { continue }
            try await s.outbox.record([.sender(claimed.id, name: "gw"), .sent(claimed.id, providerId: "p\(m.id)", at: m.at)])
            if m.delivered {
                _ = try await s.outbox.record(DeliveryReceipt(sender: "gw", reference: .providerId("p\(m.id)"), status: .delivered, at: m.at), now: m.at)
            }
        }
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let jobs = JobLoader.loadAll(config: config).jobs
        let (from, to) = (TestSupport.instant("2026-12-01T00:00:00+07:00"), TestSupport.instant("2026-12-04T00:00:00+07:00"))
        func report(_ by: OutcomeGrouping = .job) async throws -> [String: JobOutcome] {
            let rows = try await OutcomeQuery.byJob(store, jobs: jobs, holdFor: ex.holdFor, from: from, to: to, by: by, clock: clock)
            return Dictionary(rows.map { ("\($0.job) \($0.group ?? "")", $0) }, uniquingKeysWith: { a, _ in a })
        }
        var kept = try await report()
        let reminder = try #require(kept["payment-reminder "])
        #expect((reminder.planned, reminder.sent, reminder.delivered, reminder.heldOut) == (4, 3, 3, 1))
        #expect((reminder.converted, reminder.revenue, reminder.controlConverted) == (1, 450_000, 1), "O1 by the second reminder, O2 late, C3 paid anyway")
        #expect((kept["birthday "]?.converted, kept["birthday "]?.revenue) == (1, 1_250_000))
        #expect((kept["win-back "]?.converted, kept["win-back "]?.revenue) == (1, 1_250_000), "O4 counts for both jobs")
        #expect(try await report(.slot)["payment-reminder 16:00"]?.converted == 1)

        // O1 returned (no longer paid within its hold): the reminder's conversion goes.
        let o1 = try #require(ex.orders.first { $0.id == "O1" })
        try await order(o1, status: .cancelled)
        kept = try await report()
        #expect((kept["payment-reminder "]?.converted, kept["payment-reminder "]?.revenue) == (0, 0), "\(String(describing: kept["payment-reminder "]))")

        // O4 moved to another customer (a platform's merge), recomputed a customer at a time: its
        // credit follows its customer, with no order counted twice for a job.
        let o4 = try #require(ex.orders.first { $0.id == "O4" })
        let other = o4.customerId == "C1" ? "C2" : "C1"
        try await order(OrderRecord(id: o4.id, customerId: other, placedAt: o4.placedAt, amount: o4.amount, status: o4.status, paidAt: o4.paidAt))
        try await OutcomeQuery.refresh(store, goals: OutcomeGoals(jobs: jobs, holdFor: ex.holdFor), batch: 1)
        // The funnel's counts are the outbox's, row by row.
        let rows = try await s.outbox.list(state: nil, limit: 100).filter { $0.dueAt >= from && $0.dueAt < to }
        for (job, outcome) in try await report() {
            let mine = rows.filter { "\($0.job) " == job }
            #expect(outcome.planned == mine.count && outcome.sent == mine.filter { $0.state == .sent }.count
                    && outcome.delivered == mine.filter { $0.delivery == .delivered }.count
                    && outcome.heldOut == mine.filter { $0.state == .cancelled && ($0.lastError ?? "").hasPrefix(Holdout.recordPrefix) }.count, "\(job)")
        }
        // The same sums from nothing: other goals recompute every customer, then the shop's again.
        var incremental: [OutcomeGrouping: [String: JobOutcome]] = [:]
        for by in OutcomeGrouping.allCases { incremental[by] = try await report(by) }
        _ = try await store.refreshConversions(goals: OutcomeGoals(jobs: [], holdFor: .hours(1)), limit: 1_000)
        for by in OutcomeGrouping.allCases {
            let scratch = try await report(by)
            #expect(scratch == incremental[by] && !scratch.isEmpty, "\(by)")
        }
    }
}

