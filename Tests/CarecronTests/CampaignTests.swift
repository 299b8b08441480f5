import CarecronConfig
import CarecronDelivery
import CarecronDomain
@_spi(Testing) import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Testing

/// Campaigns (issue 13): the audience's SQL against its meaning, the service's writing of an
/// occasion (pacing, the cap shared with birthdays, pause, cancel, a restart), transactional
/// messages first. A real SQLite file throughout; time is the tests' own.
@Suite("Campaigns")
struct CampaignTests {
    let clock = TestSupport.saigon
    let now = TestSupport.instant("2027-02-03T08:00:00+07:00")

    // MARK: - Audience filters: the store's SQL means what `AudienceFilter.matches` says

    /// A shop of 400 random customers with random orders, the same every run.
    static func randomShop() throws -> Store {
        let store = try Store(url: TestSupport.temporaryFolder("audience").appendingPathComponent("carecron.sqlite"))
        var rng = SeededGenerator(seed: 13)
        let clock = TestSupport.saigon, now = TestSupport.instant("2027-02-03T08:00:00+07:00")
        for i in 0..<400 {
            let id = String(format: "C%04d", i)
            var f = ["id": id, "full_name": ["Trần Thị Lan", "Nguyễn Văn Hùng", "Lê Minh"][i % 3],
                     "gender": ["female", "male", "unknown"][Int.random(in: 0..<3, using: &rng)],
                     "opt_out": ["none", "none", "none", "marketing", "all"][Int.random(in: 0..<5, using: &rng)]]
            if Bool.random(using: &rng) { f["phone"] = "09\(10_000_000 + i)" }
            if Bool.random(using: &rng) { f["email"] = "k\(i)@example.vn" }
            if Int.random(in: 0..<4, using: &rng) == 0 { f["zalo_user_id"] = "z\(i)" }
            if let tier = [nil, "Standard", "Gold"][Int.random(in: 0..<3, using: &rng)] { f["tier"] = tier }
            if Bool.random(using: &rng) { f["birthday"] = String(format: "1990-%02d-%02d", Int.random(in: 1...12, using: &rng), Int.random(in: 1...28, using: &rng)) }
            _ = try store.upsert(.customers, f, clock: clock, holdFor: .hours(24), now: now)
            for j in 0..<Int.random(in: 0...4, using: &rng) {
                let placed = now.addingTimeInterval(-Double(Int.random(in: -5...800, using: &rng)) * 86_400 - 3600)
                let status = ["pending", "paid", "delivered", "cancelled", "returned"][Int.random(in: 0..<5, using: &rng)]
                var o = ["id": "\(id)-\(j)", "customer_id": id, "placed_at": InstantFormat.format(placed, clock: clock),
                         "amount": String(Int.random(in: 1...40, using: &rng) * 250_000), "payment_method": "prepaid", "status": status]
                if status != "pending" && status != "cancelled" { o["paid_at"] = InstantFormat.format(placed.addingTimeInterval(600), clock: clock) }
                _ = try store.upsert(.orders, o, clock: clock, holdFor: .hours(24), now: now)
            }
        }
        return store
    }

    static let shop = Result { try randomShop() }

    /// The store's audience is exactly the customers the filter's meaning picks, and not empty
    /// (a condition nobody meets would prove nothing).
    func agrees(_ configure: (inout AudienceFilter) -> Void, purpose: Purpose = .marketing) async throws {
        let store = try Self.shop.get()
        var filter = AudienceFilter()
        configure(&filter)
        let request = AudienceRequest(key: "t", filter: filter, at: now, purpose: purpose, entryTier: "Standard")
        var expected: [String] = []
        for i in 0..<400 {
            let id = String(format: "C%04d", i)
            guard let (customer, orders) = try store.customerWithOrders(id: id) else { continue }
            let purchases = orders.filter { $0.status == .paid || $0.status == .delivered }
                .map { AudienceFilter.Purchase(placedAt: $0.placedAt, amount: $0.amount) }
            if filter.matches(customer, purchases: purchases, at: now, entryTier: "Standard", purpose: purpose) { expected.append(id) }
        }
        let got = try store.audience(request, after: nil, limit: 10_000).map(\.id)
        #expect(got == expected)
        #expect(!expected.isEmpty && expected.count < 400)
        let count = try store.audienceCount(request)
        #expect(count.members == expected.count)
        // Pages of 7 give the same customers, in order.
        var paged: [String] = [], cursor: String?
        while true {
            let page = try store.audience(request, after: cursor, limit: 7).map(\.id)
            paged += page
            guard page.count == 7 else { break }
            cursor = page.last
        }
        #expect(paged == expected)
    }

    @Test func everyoneButOptOuts() async throws { try await agrees { _ in } }
    @Test func everyoneForANotice() async throws { try await agrees({ _ in }, purpose: .care) }
    @Test func tiers() async throws { try await agrees { $0.tiers = ["Gold"] } }
    @Test func tiersCountNoTierAsTheEntryTier() async throws { try await agrees { $0.tiers = ["Standard"] } }
    @Test func spentAtLeast() async throws { try await agrees { $0.spentAtLeast = 5_000_000 } }
    @Test func spentBelow() async throws { try await agrees { $0.spentBelow = 2_000_000 } }
    @Test func spentWithinAPeriod() async throws { try await agrees { $0.spentAtLeast = 1_000_000; $0.within = .days(365) } }
    @Test func ordersAtLeast() async throws { try await agrees { $0.ordersAtLeast = 2 } }
    @Test func lastOrderWithin() async throws { try await agrees { $0.lastOrderWithin = .days(365) } }
    @Test func lastOrderBefore() async throws { try await agrees { $0.lastOrderBefore = .days(90) } }
    @Test func birthdayMonth() async throws { try await agrees { $0.birthdayMonths = [2, 3] } }
    @Test func gender() async throws { try await agrees { $0.genders = [.female] } }
    @Test func hasChannel() async throws { try await agrees { $0.hasChannels = [.email] } }
    @Test func hasZalo() async throws { try await agrees { $0.hasChannels = [.zalo] } }
    @Test func customerList() async throws { try await agrees { $0.customerIds = ["C0003", "C0010", "C0011", "C0399", "NOBODY"] } }
    @Test func conditionsCombine() async throws {
        try await agrees { $0.tiers = ["Gold", "Standard"]; $0.lastOrderWithin = .days(700); $0.hasChannels = [.sms] }
    }

    // MARK: - The service writes an occasion

    /// A shop folder with a campaign (and the shipped birthday job), and its store with `customers`.
    func shop(campaign: String, customers: Int, birthdayToday: Set<Int> = []) throws -> (ShopConfig, [JobDefinition], Store) {
        let dir = try TestSupport.shopFolder()
        try campaign.write(to: dir.appendingPathComponent("jobs/campaign-test.json"), atomically: true, encoding: .utf8)
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        let store = try Store(url: config.database)
        for i in 0..<customers {
            var f = ["id": String(format: "K%05d", i), "full_name": "Phạm Thu Hà", "gender": "female", "phone": "09\(20_000_000 + i)"]
            if birthdayToday.contains(i) { f["birthday"] = "1995-02-03" }
            _ = try store.upsert(.customers, f, clock: clock, holdFor: .hours(24), now: now)
        }
        return (config, loaded.jobs, store)
    }

    func campaignJob(when: String = #"{"dates": ["2027-02-03"], "time": "09:00"}"#, spread: String = "1h", purpose: String = "marketing") -> String {
        """
        {"type": "campaign", "enabled": true, "purpose": "\(purpose)", "channels": ["sms"],
         "audience": {"gender": "female"}, "when": \(when), "spread": "\(spread)",
         "templates": [{"text": "[QC] Tết đến, {{shop.name}} giảm {{tier.discount}}.\\n{{optOut}}"}]}
        """
    }

    func campaignRows(_ store: Store) throws -> [(key: String, state: String, due: Int, priority: Int)] {
        try store.db.read { db in
            try Row.fetchAll(db, sql: "SELECT idempotency_key, state, next_attempt_at, priority FROM outbox WHERE job = 'campaign-test' ORDER BY next_attempt_at, id")
                .map { ($0[0], $0[1], $0[2], $0[3]) }
        }
    }

    @Test func spreadPacesTheSendsEvenlyAndEachCustomerOnce() async throws {
        let (config, jobs, store) = try shop(campaign: campaignJob(), customers: 120)
        var step = CampaignStep(store: store, config: config, jobs: jobs)
        step.pageSize = 50
        let at9 = TestSupport.instant("2027-02-03T09:00:00+07:00")
        #expect(try await step.step(now: at9.addingTimeInterval(-60)).written == 0)   // not yet its time
        let first = try await step.step(now: at9)
        #expect(first.written == 120)
        let rows = try campaignRows(store)
        #expect(rows.count == 120)
        #expect(Set(rows.map(\.key)).count == 120)
        #expect(rows.allSatisfy { $0.key.hasPrefix("campaign:campaign-test:2027-02-03:K") && $0.priority == 2 })
        // 120 sends over an hour: one every 30 s, the first at 09:00, the last before 10:00.
        let start = Int(at9.timeIntervalSince1970)
        #expect(rows.map(\.due) == (0..<120).map { start + $0 * 30 })
        // A second step, as after a restart, writes nothing more.
        #expect(try await step.step(now: at9.addingTimeInterval(600)).written == 0)
        let status = try store.campaignStatus("campaign-test:2027-02-03")
        #expect(status.run?.complete == true && status.run?.written == 120 && status.messages[.planned] == 120)
    }

    @Test func aRestartMidWayTakesUpWhereTheOutboxStands() async throws {
        let (config, jobs, store) = try shop(campaign: campaignJob(), customers: 100)
        var step = CampaignStep(store: store, config: config, jobs: jobs)
        step.pageSize = 30
        let at9 = TestSupport.instant("2027-02-03T09:00:00+07:00")
        // Stopped after the first page (as a SIGTERM would, between pages).
        let pages = PageCounter()
        _ = try await step.step(now: at9, keepGoing: { pages.next() < 1 })
        #expect(try campaignRows(store).count == 30)
        // The audience changes meanwhile: a customer written already leaves, a new one joins.
        _ = try store.forget(customerId: "K00001", now: at9)
        _ = try store.upsert(.customers, ["id": "K99999", "full_name": "Đỗ Mai", "gender": "female", "phone": "0988000111"],
                             clock: clock, holdFor: .hours(24), now: at9)
        let later = at9.addingTimeInterval(300)
        _ = try await step.step(now: later)
        let rows = try campaignRows(store)
        #expect(Set(rows.map(\.key)).count == rows.count)
        #expect(rows.count == 100)   // 99 of the first (K00001 erased with its message) and K99999
        #expect(rows.contains { $0.key.hasSuffix(":K99999") })
        // The pacing is kept: a late joiner goes at the spread's end, not after it.
        #expect(rows.map(\.due).max()! == Int(at9.timeIntervalSince1970) + 3600)
    }

    @Test func theCapGivesABirthdayGreetingItsDay() async throws {
        // Cap 1 (config.json): K00002's birthday greeting goes out at 09:00, so the campaign skips them.
        let (config, jobs, store) = try shop(campaign: campaignJob(), customers: 10, birthdayToday: [2, 5])
        let at9 = TestSupport.instant("2027-02-03T09:00:00+07:00")
        let planner = OutboxPlanner(store: store, config: config, jobs: jobs)
        var memo: PlanMemo?
        _ = try await planner.step(now: at9, upSince: at9.addingTimeInterval(-7200), lastSeen: nil, memo: &memo, fresh: true)
        let birthdays = try await store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM outbox WHERE job = 'birthday'") }
        #expect(birthdays == 2)
        _ = try await CampaignStep(store: store, config: config, jobs: jobs).step(now: at9)
        let rows = try campaignRows(store)
        #expect(rows.count == 8)
        #expect(!rows.contains { $0.key.hasSuffix(":K00002") || $0.key.hasSuffix(":K00005") })
        let status = try store.campaignStatus("campaign-test:2027-02-03")
        #expect(status.run?.skipped["cap"] == 2)
        // The planner (simulate, preview) decides the same.
        var explaining = CarePlanner(policy: config.policy, jobs: jobs.filter(\.enabled))
        explaining.explain = true
        let day = (at9.addingTimeInterval(-3600), at9.addingTimeInterval(12 * 3600))
        let input = try await store.planningInput(for: explaining, from: day.0, to: day.1)
        let events = explaining.plan(input, from: day.0, to: day.1).filter { $0.job == "campaign-test" }
        #expect(events.filter { $0.kind == .message }.count == 8)
        #expect(events.filter { $0.kind == .skip && $0.reason?.hasPrefix("marketing cap") == true }.map(\.customerId).sorted() == ["K00002", "K00005"])
    }

    @Test func pauseHoldsResumeShiftsCancelDrops() async throws {
        let (config, jobs, store) = try shop(campaign: campaignJob(), customers: 20)
        let control = CampaignControl(store: store, config: config, jobs: jobs)
        let at9 = TestSupport.instant("2027-02-03T09:00:00+07:00")
        _ = try await CampaignStep(store: store, config: config, jobs: jobs).step(now: at9)
        let before = try campaignRows(store)
        let (_, paused) = try await control.pause("campaign-test", now: at9.addingTimeInterval(60), by: "test")
        #expect(paused.state == .paused)
        #expect(try campaignRows(store).allSatisfy { $0.state == "paused" })
        #expect(try await store.outbox.claimDue(now: at9.addingTimeInterval(3600), limit: 100).isEmpty)
        #expect(try store.recent(limit: 10).contains { $0.action == "campaign pause" && $0.user == "test" && $0.subject == "campaign campaign-test" },
                "the audit log has the pause, whoever made it")
        // The plan (console, simulate) shows the paused occasion as not going out, and why.
        var planner = CarePlanner(policy: config.policy, jobs: jobs)
        planner.explain = true
        let from = at9.addingTimeInterval(-3600), to = at9.addingTimeInterval(86_400)
        let planned = planner.plan(try await store.planningInput(for: planner, from: from, to: to), from: from, to: to).filter { $0.job == "campaign-test" }
        #expect(planned.count == 20 && planned.allSatisfy { $0.kind == .skip && $0.because?.code == "skip.campaign_paused" })
        _ = try await control.resume("campaign-test", now: at9.addingTimeInterval(660), by: "test")
        let resumed = planner.plan(try await store.planningInput(for: planner, from: from, to: to), from: from, to: to).filter { $0.job == "campaign-test" }
        #expect(resumed.filter { $0.kind == .message }.count == 20, "resumed, its messages are back in the plan")
        let after = try campaignRows(store)
        #expect(after.allSatisfy { $0.state == "planned" })
        #expect(after.map(\.due) == before.map { $0.due + 600 })
        let (_, dropped) = try await control.cancel("campaign-test", now: at9.addingTimeInterval(700), by: "test")
        #expect(dropped == 20)
        let (_, status) = try await control.status("campaign-test", at: at9.addingTimeInterval(700))
        #expect(status.messages[.cancelled] == 20 && status.run?.state == .cancelled)
        // A cancelled occasion is never written again.
        #expect(try await CampaignStep(store: store, config: config, jobs: jobs).step(now: at9.addingTimeInterval(800)).written == 0)
    }

    @Test func aCampaignMissedWhileDownIsSentOnlyThatDay() async throws {
        let (config, jobs, store) = try shop(campaign: campaignJob(), customers: 5)
        let step = CampaignStep(store: store, config: config, jobs: jobs)
        // Back the next morning: the occasion is over, nothing is written.
        #expect(try await step.step(now: TestSupport.instant("2027-02-04T08:00:00+07:00")).written == 0)
        // Back at 15:00 the same day: its spread starts then.
        let at15 = TestSupport.instant("2027-02-03T15:00:00+07:00")
        #expect(try await step.step(now: at15).written == 5)
        #expect(try campaignRows(store).first?.due == Int(at15.timeIntervalSince1970))
        // A message still unsent after its day is cancelled at sending, not sent the next day.
        let facts = SendingFacts(optOut: OptOut.none, orders: [])
        let end = TestSupport.instant("2027-02-03T23:59:59+07:00")
        #expect(StillWanted.reasonToCancel(customerId: "K00000", orderIds: [], facts: facts, rules: nil, purpose: .marketing,
                                           expiresAt: end, now: end.addingTimeInterval(1))?.hasPrefix("too late") == true)
    }

    @Test func paymentRemindersGoOutBeforeACampaignsBacklog() async throws {
        let (config, jobs, store) = try shop(campaign: campaignJob(spread: "0s"), customers: 50)
        let at9 = TestSupport.instant("2027-02-03T09:00:00+07:00")
        _ = try await CampaignStep(store: store, config: config, jobs: jobs).step(now: at9)
        // A reminder due a minute after the whole campaign.
        _ = try await store.outbox.enqueue([OutboxEntry(keys: ["payment-reminder:D1:1"], job: "payment-reminder", customerId: "K00000", orderIds: [],
                                                  reminder: 1, renderings: [Rendering(channel: "sms", to: "+84920000000", subject: nil, text: "nhắc",
                                                                                      params: [:], templateId: nil)],
                                                  dueAt: at9.addingTimeInterval(60), priority: Purpose.transactional.sendingPriority)], now: at9)
        let claimed = try await store.outbox.claimDue(now: at9.addingTimeInterval(120), limit: 5)
        #expect(claimed.first?.job == "payment-reminder")
        #expect(claimed.count == 5)
    }

    // MARK: - Job files and commands

    @Test func everyJobTypeShipsADefaultJobFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestSupport.packageRoot.appendingPathComponent("jobs").path)
        let loaded = ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json"))
        #expect(loaded.errors.isEmpty)
        let types = Set(loaded.jobs.map(\.type))
        for type in JobTypeRegistry.all.map({ $0.type }) { #expect(types.contains(type), "no job file of type \(type.rawValue)") }
        for name in ["tet-greeting", "mid-autumn", "womens-day-0803", "womens-day-2010", "win-back"] {
            #expect(files.contains("\(name).json"))
            #expect(loaded.jobs.first { $0.name == name }?.enabled == false, "\(name) ships disabled")
        }
    }

    @Test func aBadCampaignFileGetsClearErrors() throws {
        let dir = try TestSupport.shopFolder()
        try """
        {"type": "campaign", "purpose": "marketing", "channels": ["sms"], "schedule": "0 9 * * *",
         "audience": {"tiers": ["Gld"], "lastOrderWithn": "90d"}, "when": {"lunar": {"month": 13, "day": 1}, "time": "22:30"},
         "templates": [{"text": "x {{optOut}}", "minTier": "Gold"}]}
        """.write(to: dir.appendingPathComponent("jobs/bad.json"), atomically: true, encoding: .utf8)
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let text = loaded.errors.filter { $0.description.contains("bad.json") }.map(\.description).joined(separator: "\n")
        #expect(text.contains("did you mean Gold?"), "\(text)")
        #expect(text.contains("lastOrderWithn"), "\(text)")
        #expect(text.contains("month"), "\(text)")
        #expect(text.contains("schedule"), "\(text)")
    }

    @Test func scheduleListsLunarFirings() throws {
        let dir = try TestSupport.shopFolder()
        let r = try TestSupport.carecron(["schedule", "--lunar", "1/1", "--time", "09:00", "--count", "5", "--from", "2026-03-01T00:00:00+07:00"], in: dir)
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n") == ["2027-02-06T09:00:00+07:00", "2028-01-26T09:00:00+07:00", "2029-02-13T09:00:00+07:00",
                                                    "2030-02-02T09:00:00+07:00", "2031-01-23T09:00:00+07:00"])
        let bad = try TestSupport.carecron(["schedule", "--lunar", "1/13"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("--lunar"))
    }
}

/// Counts calls, for a `keepGoing` that stops after some pages.
final class PageCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.withLock { defer { n += 1 }; return n } }
}
