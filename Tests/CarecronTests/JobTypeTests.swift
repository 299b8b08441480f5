import CarecronConfig
import CarecronDelivery
import CarecronDomain
import Foundation
import Testing

/// Job types as plug-ins (issue 11): the registry is the list of types, each type's file reads
/// its own `rules`, and the shared re-check at sending defers to the type for what is its own.
@Suite("Job types")
struct JobTypeTests {
    @Test func theRegistryIsTheListOfTypesAndEachTypeIsFoundByItsName() {
        let names = JobTypeRegistry.all.map { $0.type.rawValue }
        #expect(names == ["payment-reminder", "order-expiry", "cod-confirmation", "birthday", "post-sale-checkin", "tier-upgrade", "campaign", "survey", "survey-follow-up"])
        #expect(Set(names).count == names.count, "no name twice")
        for name in names { #expect(JobTypeRegistry.rules(for: JobType(rawValue: name))?.type.rawValue == name) }
        #expect(JobTypeRegistry.rules(for: JobType(rawValue: "newsletter")) == nil)
    }

    @Test func anUnknownTypeIsRefusedWithTheRegisteredNamesAndASuggestion() throws {
        let dir = try TestSupport.shopFolder()
        let url = dir.appendingPathComponent("jobs/birthday.json")
        let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"birthday\"", with: "\"birthdays\"")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let problems = ConfigLoader.load(dir.appendingPathComponent("config.json")).diagnostics.map(\.description)
        #expect(problems.contains {
            $0.contains("jobs/birthday.json: type: \"birthdays\" is not one of payment-reminder, order-expiry") && $0.contains("did you mean birthday?")
        }, "\(problems)")
    }

    /// Every type reads a job file without `rules` with the handbook's defaults (a campaign needs
    /// its `when`, there is no default occasion), and reports an unknown key in `rules` at its path.
    @Test(arguments: JobTypeRegistry.all.map { $0.type.rawValue })
    func everyTypeHasDefaultsAndRefusesUnknownRules(_ name: String) throws {
        let plugin = try #require(JobTypeRegistry.rules(for: JobType(rawValue: name)))
        let shop = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config).policy
        let sink = DiagnosticSink(file: "jobs/x.json")
        let required: [(key: String, value: JSONValue)] = name == "campaign"
            ? [(key: "when", value: .object([(key: "dates", value: .array([.string("03-08")])), (key: "time", value: .string("09:00"))]))] : []
        let job = try #require(Field(value: .object(required), path: "$", sink: sink).object)
        let rules = plugin.parse(nil, job: job, shop: shop)
        #expect(rules?.type.rawValue == name && !sink.hasErrors, "\(sink.items)")
        let withUnknown = try #require(Field(value: .object(required + [(key: "rules", value: .object([("sendAtMidnight", .bool(true))]))]), path: "$", sink: sink).object)
        let r = try #require(withUnknown.optional("rules")?.object)
        _ = plugin.parse(r, job: withUnknown, shop: shop)
        r.finish()
        #expect(sink.items.map(\.description).contains { $0.hasPrefix("jobs/x.json: rules.sendAtMidnight: unknown key") }, "\(sink.items)")
    }

    @Test func theReCheckAtSendingIsSharedForTheCustomerAndTheTypesOwnForTheOrder() {
        let now = TestSupport.instant("2026-12-01T10:00:00+07:00")
        func order(_ id: String, _ status: OrderStatus, paid: Bool = false, expired: Bool = false, delivered: Bool = false) -> OrderAtSending {
            OrderAtSending(id: id, status: status, paidAt: paid ? now.addingTimeInterval(-60) : nil,
                           expiredAt: expired ? now.addingTimeInterval(-60) : nil, deliveredAt: delivered ? now.addingTimeInterval(-60) : nil)
        }
        func reason(_ rules: any JobRules, _ orders: [OrderAtSending], purpose: Purpose = .transactional, optOut: OptOut? = OptOut.none) -> String? {
            StillWanted.reasonToCancel(customerId: "C1", orderIds: orders.map(\.id) + (orders.isEmpty ? ["GONE"] : []),
                                       facts: SendingFacts(optOut: optOut, orders: orders), rules: rules, purpose: purpose, now: now)
        }
        let reminder = PaymentReminderRules(policy: PaymentReminderPolicy(expiresAfter: .hours(24)))
        #expect(reason(reminder, [order("O1", .pending)], optOut: nil) == "customer C1 no longer exists")
        #expect(reason(reminder, [order("O1", .pending)], optOut: .all) == "customer opted out of all messages")
        #expect(reason(reminder, [order("O1", .pending)], optOut: .marketing) == nil, "an order's reminder is not advertising")
        #expect(reason(BirthdayRules(), [], purpose: .marketing, optOut: .marketing) == "customer opted out of marketing")
        #expect(reason(reminder, []) == "the order no longer exists")
        #expect(reason(reminder, [order("O1", .cancelled)]) == "order O1 was cancelled")
        #expect(reason(reminder, [order("O1", .pending, paid: true)]) == "order O1 was paid")
        #expect(reason(reminder, [order("O1", .expired, expired: true)]) == "order O1 expired")
        #expect(reason(OrderExpiryRules(), [order("O1", .expired, expired: true)]) == nil, "the expiry notice is still wanted")
        #expect(reason(CodConfirmationRules(), [order("O1", .delivered, delivered: true)]) == "order O1 was already delivered")
        #expect(reason(reminder, [order("O1", .paid, paid: true), order("O2", .pending)]) == nil,
                "a message naming several orders goes out while one needs it")
        #expect(reason(reminder, [order("O1", .paid, paid: true), order("O2", .returned)]) == "order O1 was paid; order O2 was returned")
    }
}

/// Issue 14: each type says how long it must be replayed, and the planner replays the longest,
/// an advertising job's with the cap's day before it.
@Suite("Replays")
struct ReplayTests {
    let loaded = ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json"))

    func job(_ name: String) throws -> JobDefinition { try #require(loaded.jobs.first { $0.name == name }) }

    @Test func eachShippedTypeReplaysWhatItsRulesReachBack() throws {
        let shop = try #require(loaded.config).policy
        let hour: TimeInterval = 3600
        for (name, hours) in [("payment-reminder", 24.0), ("order-expiry", 24), ("birthday", 24), ("post-sale-checkin", 24), ("tier-upgrade", 24)] {
            let j = try job(name)
            #expect(j.rules.replay(j, shop: shop) == hours * hour, "\(name)")
        }
        let cod = try job("cod-confirmation")
        #expect(cod.rules.replay(cod, shop: shop) > 24 * hour, "a confirmation may wait out a night")
        // The shipped jobs: the birthday (advertising) with the cap's day before it.
        let planner = CarePlanner(policy: shop, jobs: loaded.jobs.filter(\.enabled))
        #expect(planner.lookback == 48 * hour)
        var wide = planner
        wide.lookbackAtLeast = 5 * 86_400
        #expect(wide.lookback == 5 * 86_400)
        let transactional = CarePlanner(policy: shop, jobs: loaded.jobs.filter { $0.enabled && $0.purpose == .transactional })
        #expect(transactional.lookback < planner.lookback)
    }

    @Test func aScheduleWaitsAtMostItsLongestGapBetweenDays() throws {
        let cases = [("0 9 * * *", 1), ("0 9 * * 1", 7), ("0 9 * * 1,3", 5), ("*/15 * * * *", 1), ("0 9 1 * *", 31), ("0 9 1 1 *", 365),
                     ("0 9 29 2 *", 366)]
        for (expr, days) in cases {
            #expect(try CronSchedule(expr).longestDayGap == days, "\(expr)")
        }
    }
}
