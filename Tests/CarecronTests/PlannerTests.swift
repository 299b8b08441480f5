import CarecronConfig
import CarecronDelivery
import CarecronDomain
import Foundation
import Testing

/// The jobs of DOMAIN.md, rule by rule, on the shipped job files and in-memory shops: each test
/// builds the few customers and orders its rule needs and reads the planner's events.
struct Shop {
    var policy: CarePolicy
    var jobs: [JobDefinition]
    var customers: [String: CustomerSnapshot] = [:]
    var orders: [OrderSnapshot] = []

    static let shipped: (CarePolicy, [JobDefinition]) = {
        let loaded = ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json"))
        return (loaded.config!.policy, loaded.jobs)
    }()

    init(zone: ShopClock = TestSupport.saigon, jobs only: Set<JobType>? = nil, edit: (inout JobDefinition) -> Void = { _ in }) {
        var (policy, jobs) = Self.shipped
        policy.clock = zone
        policy.context.clock = zone
        self.policy = policy
        self.jobs = jobs.filter { only?.contains($0.type) ?? true }.map { var j = $0; edit(&j); return j }
    }

    var clock: ShopClock { policy.clock }

    func t(_ text: String) -> Date { TestSupport.instant(text, clock: clock) }

    mutating func customer(_ id: String, _ name: String = "Trần Thị Lan", gender: Gender = .female, phone: String? = "+84912345678",
                           email: String? = nil, birthday: String? = nil, tier: String? = nil, optOut: OptOut = .none) {
        customers[id] = CustomerSnapshot(facts: CustomerFacts(id: id, name: CustomerName(name), gender: gender, phone: phone, email: email, tier: tier),
                                         optOut: optOut, birthMonthDay: birthday)
    }

    mutating func order(_ id: String, _ customer: String, placed: String, amount: Int = 450_000, method: String = "prepaid",
                        status: String = "pending", paid: String? = nil, delivered: String? = nil, known: String? = nil) {
        orders.append(OrderSnapshot(id: id, customerId: customer, placedAt: t(placed), amount: amount, paymentMethod: PaymentMethod(rawValue: method)!,
                                    status: OrderStatus(rawValue: status)!, paidAt: paid.map(t), deliveredAt: delivered.map(t), items: "Son dưỡng môi x1",
                                    knownAt: known.map(t)))
    }

    func plan(from: String, to: String, down: [(String, String)] = []) -> [PlannedEvent] {
        CarePlanner(policy: policy, jobs: jobs).plan(PlanningInput(customers: customers, orders: orders), from: t(from), to: t(to),
                                                    downtime: Downtime(down.map { DateInterval(start: t($0.0), end: t($0.1)) }))
    }

    /// "job subject #n at", compact for assertions.
    func summary(_ events: [PlannedEvent]) -> [String] {
        events.map { e in
            let subject = e.orderIds.isEmpty ? e.customerId : e.orderIds.joined(separator: "+")
            return "\(e.job) \(e.kind == .expire ? "expire " : "")\(subject)\(e.reminder.map { " #\($0)" } ?? "") \(InstantFormat.format(e.at, clock: clock))"
        }
    }
}

@Suite("Payment reminders through the planner (DOMAIN.md §1)")
struct ReminderPlanningTests {
    func shop() -> Shop {
        var s = Shop(jobs: [.paymentReminder])
        s.customer("C1")
        return s
    }

    @Test func twoRemindersWithDifferentVariants() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T08:15:00+07:00")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00")
        #expect(s.summary(events) == ["payment-reminder D1 #1 2026-12-01T12:00:00+07:00", "payment-reminder D1 #2 2026-12-01T16:00:00+07:00"])
        #expect(events[0].text != events[1].text, "each reminder reads differently (§1.4)")
        #expect(events[0].text!.hasPrefix("Chi Lan oi"), "name in the first 7 characters, unaccented SMS")
        #expect(events.map(\.keys) == [["payment-reminder:D1:1"], ["payment-reminder:D1:2"]])
    }

    @Test func paidBeforeTheSlotGetsNothingPaidBetweenGetsOne() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T09:00:00+07:00", paid: "2026-12-01T11:59:00+07:00")
        s.order("D2", "C1", placed: "2026-12-01T09:30:00+07:00", amount: 1, paid: "2026-12-01T13:00:00+07:00")
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00"))
                == ["payment-reminder D2 #1 2026-12-01T12:00:00+07:00"])
    }

    @Test func twoOrdersOfOneCustomerDueTogetherMakeOneMessage() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T08:15:00+07:00", amount: 100_000)
        s.order("D2", "C1", placed: "2026-12-01T09:15:00+07:00", amount: 250_000)
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-01T13:00:00+07:00")
        #expect(events.count == 1)
        #expect(events[0].orderIds == ["D2", "D1"], "the most recent order leads")
        #expect(events[0].text!.contains("D2") && events[0].text!.contains("D1") && events[0].text!.contains("350.000d"))
        #expect(Set(events[0].keys) == ["payment-reminder:D1:1", "payment-reminder:D2:1"])
    }

    @Test func mostRecentThenLargerFirstWhenManyAreDue() {
        var s = shop()
        s.customer("C2", "Nguyễn Văn Hùng", gender: .male)
        s.customer("C3", "Lê Minh Anh", gender: .unknown)
        s.order("D1", "C1", placed: "2026-12-01T08:00:00+07:00", amount: 900_000)
        s.order("D2", "C2", placed: "2026-12-01T09:00:00+07:00", amount: 100_000)
        s.order("D3", "C3", placed: "2026-12-01T09:00:00+07:00", amount: 500_000)
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-01T13:00:00+07:00")
        #expect(events.map { $0.orderIds[0] } == ["D3", "D2", "D1"])
    }

    @Test func importedAfterItsSlotWithinLatenessGoesOutAtOnce() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T08:15:00+07:00", known: "2026-12-01T12:40:00+07:00")
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-01T17:00:00+07:00")).first
                == "payment-reminder D1 #1 2026-12-01T12:40:00+07:00")
    }

    @Test func importedAfterItsSlotBeyondLatenessMovesToTheNextSlot() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T08:15:00+07:00", known: "2026-12-01T13:30:00+07:00")
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00"))
                == ["payment-reminder D1 #1 2026-12-01T16:00:00+07:00", "payment-reminder D1 #2 2026-12-01T19:30:00+07:00"])
    }

    @Test func downtimeUsesLatenessAndNeverRemindsAtNight() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T17:00:00+07:00")
        // Down 19:00–21:30: the 19:30 reminder is more than an hour late and 21:30 is quiet: next slot 10:00.
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T12:00:00+07:00",
                                 down: [("2026-12-01T19:00:00+07:00", "2026-12-01T21:30:00+07:00")])).first
                == "payment-reminder D1 #1 2026-12-02T10:00:00+07:00")
        // Down 19:00–20:15: 45 minutes late, still before quiet hours: out at 20:15.
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00",
                                 down: [("2026-12-01T19:00:00+07:00", "2026-12-01T20:15:00+07:00")])).first
                == "payment-reminder D1 #1 2026-12-01T20:15:00+07:00")
    }

    @Test func noReminderAtOrAfterExpiryNorForCancelledOrCOD() {
        var s = shop()
        s.order("D1", "C1", placed: "2026-12-01T20:30:00+07:00", status: "cancelled")
        s.order("D2", "C1", placed: "2026-12-01T08:00:00+07:00", method: "cod")
        #expect(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00").isEmpty)
    }

    @Test func optedOutOfEverythingGetsNoReminderOptedOutOfMarketingStillDoes() {
        var s = shop()
        s.customer("C2", optOut: .all)
        s.customer("C3", optOut: .marketing)
        s.order("D2", "C2", placed: "2026-12-01T08:00:00+07:00")
        s.order("D3", "C3", placed: "2026-12-01T08:00:00+07:00")
        #expect(Set(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-01T13:00:00+07:00").map(\.customerId)) == ["C3"])
    }

    /// §1 in Europe/Berlin across both changes of 2026.
    @Test func daylightSavingTime() {
        var s = Shop(zone: TestSupport.berlin, jobs: [.paymentReminder, .orderExpiry])
        s.customer("C1")
        s.order("S1", "C1", placed: "2026-03-28T21:00:00+01:00")  // night before spring forward
        s.order("A1", "C1", placed: "2026-10-25T02:30:00+01:00")  // the second 02:30 of autumn
        #expect(s.summary(s.plan(from: "2026-03-28T00:00:00+01:00", to: "2026-03-30T00:00:00+02:00")) == [
            "payment-reminder S1 #1 2026-03-29T10:00:00+02:00", "payment-reminder S1 #2 2026-03-29T16:00:00+02:00",
            "order-expiry expire S1 2026-03-29T22:00:00+02:00",
        ])
        // S1, still unpaid in the input seven months on, expires at the span's first instant (issue 24, item 7).
        #expect(s.summary(s.plan(from: "2026-10-25T00:00:00+02:00", to: "2026-10-26T12:00:00+01:00")) == [
            "order-expiry expire S1 2026-10-25T00:00:00+02:00",
            "payment-reminder A1 #1 2026-10-25T10:00:00+01:00", "payment-reminder A1 #2 2026-10-25T16:00:00+01:00",
            "order-expiry expire A1 2026-10-26T02:30:00+01:00",
        ])
    }

    @Test func acrossTheYearBoundary() {
        var s = Shop(jobs: [.paymentReminder, .orderExpiry])
        s.customer("C1")
        s.order("Y1", "C1", placed: "2026-12-31T22:00:00+07:00")
        #expect(s.summary(s.plan(from: "2026-12-31T00:00:00+07:00", to: "2027-01-02T00:00:00+07:00")) == [
            "payment-reminder Y1 #1 2027-01-01T10:00:00+07:00", "payment-reminder Y1 #2 2027-01-01T16:00:00+07:00",
            "order-expiry expire Y1 2027-01-01T22:00:00+07:00",
        ])
    }
}

@Suite("Expiry, COD, check-in, tier (DOMAIN.md §1.9, §2, §4, §5)")
struct OtherJobPlanningTests {
    @Test func expiryIsExactIgnoresQuietHoursAndNotTheirNoticeWhichWaits() {
        var s = Shop(jobs: [.orderExpiry]) { job in
            if job.rules is OrderExpiryRules { job.rules = OrderExpiryRules(notify: true) }
        }
        s.customer("C1")
        s.order("D1", "C1", placed: "2026-12-01T02:10:00+07:00")
        s.order("D2", "C1", placed: "2026-12-01T03:00:00+07:00", paid: "2026-12-02T02:59:00+07:00")
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00"))
                == ["order-expiry expire D1 2026-12-02T02:10:00+07:00", "order-expiry D1 2026-12-02T08:00:00+07:00"])
    }

    /// Issue 24, item 7: an order found long past its hold (a first import of old orders, a long
    /// outage) expires at the span's first instant, says why, and sends no notice days late.
    @Test func anOrderFoundLongPastItsHoldExpiresAtOnceWithoutALateNotice() {
        var s = Shop(jobs: [.orderExpiry, .paymentReminder]) { job in
            if job.rules is OrderExpiryRules { job.rules = OrderExpiryRules(notify: true) }
        }
        s.customer("C1")
        s.order("D01", "C1", placed: "2026-12-01T08:15:00+07:00")
        s.order("D02", "C1", placed: "2026-12-01T09:00:00+07:00", known: "2026-12-07T10:30:00+07:00")
        var planner = CarePlanner(policy: s.policy, jobs: s.jobs)
        planner.explain = true
        let events = planner.plan(PlanningInput(customers: s.customers, orders: s.orders),
                                  from: s.t("2026-12-07T00:00:00+07:00"), to: s.t("2026-12-08T00:00:00+07:00"))
        #expect(s.summary(events.filter { $0.kind != .skip })
                == ["order-expiry expire D01 2026-12-07T00:00:00+07:00", "order-expiry expire D02 2026-12-07T10:30:00+07:00"],
                "at the first step, or when carecron learnt of it")
        #expect(events.first { $0.kind == .expire }?.reason?.contains("still unpaid after its hold ended (2026-12-02T08:15:00+07:00)") == true)
        let skipped = events.filter { $0.kind == .skip }.compactMap(\.reason)
        #expect(skipped.contains { $0.hasPrefix("no expiry notice: it would come 4d15h45m after order D01's hold ended") }, "\(skipped)")
        #expect(!events.contains { $0.kind == .message }, "no notice, no reminder")
    }

    /// The notice's lateness also holds after an outage; within it, the notice still goes.
    @Test func anExpiryNoticeLaterThanItsLatenessIsNotSent() {
        var s = Shop(jobs: [.orderExpiry]) { job in
            if job.rules is OrderExpiryRules { job.rules = OrderExpiryRules(notify: true) }
        }
        s.customer("C1")
        s.order("D1", "C1", placed: "2026-12-01T10:00:00+07:00")
        s.order("D2", "C1", placed: "2026-12-01T12:30:00+07:00")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00",
                            down: [("2026-12-02T09:00:00+07:00", "2026-12-02T13:00:00+07:00")])
        #expect(Set(s.summary(events)) == ["order-expiry expire D1 2026-12-02T13:00:00+07:00", "order-expiry expire D2 2026-12-02T13:00:00+07:00",
                                           "order-expiry D2 2026-12-02T13:00:00+07:00"], "D1 three hours late: no notice; D2 30 minutes: notice")
    }

    @Test func codOrdersGetOneConfirmationWithItemsAmountAndDates() {
        var s = Shop(jobs: [.codConfirmation, .paymentReminder, .orderExpiry])
        s.customer("C1")
        s.order("K1", "C1", placed: "2026-12-01T20:55:00+07:00", amount: 1_250_000, method: "cod")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00")
        #expect(s.summary(events) == ["cod-confirmation K1 2026-12-02T08:00:00+07:00"], "after quiet hours; no reminder, no expiry")
        let text = events[0].text!
        #expect(text.contains("K1") && text.contains("Son duong moi x1") && text.contains("1.250.000d")
                && text.contains("03/12/2026-05/12/2026"), "\(text)")
    }

    @Test func checkinOncePerOrderOnePerCustomerPerDayNoneForCancelledOrReturned() {
        var s = Shop(jobs: [.postSaleCheckin])
        s.customer("C1")
        s.customer("C2", "Nguyễn Văn Hùng", gender: .male)
        s.order("P1", "C1", placed: "2026-11-25T09:00:00+07:00", paid: "2026-11-25T09:05:00+07:00", delivered: "2026-11-27T15:00:00+07:00")
        s.order("P2", "C1", placed: "2026-11-26T09:00:00+07:00", paid: "2026-11-26T09:05:00+07:00", delivered: "2026-11-27T16:00:00+07:00")
        s.order("P3", "C2", placed: "2026-11-25T09:00:00+07:00", status: "returned", paid: "2026-11-25T09:05:00+07:00",
                delivered: "2026-11-27T15:00:00+07:00")
        s.order("P4", "C2", placed: "2026-11-26T09:00:00+07:00", paid: "2026-11-27T11:00:00+07:00")  // delivery not tracked
        let events = s.plan(from: "2026-11-28T00:00:00+07:00", to: "2026-12-05T00:00:00+07:00")
        #expect(s.summary(events) == ["post-sale-checkin P2+P1 2026-11-30T10:00:00+07:00", "post-sale-checkin P4 2026-11-30T10:00:00+07:00"])
    }

    @Test func tierUpgradeIsCongratulatedOnce() {
        var s = Shop(jobs: [.tierUpgrade])
        s.customer("C1", tier: "Standard")
        s.order("T1", "C1", placed: "2026-12-01T08:00:00+07:00", amount: 3_000_000, paid: "2026-12-01T08:30:00+07:00")
        s.order("T2", "C1", placed: "2026-12-02T08:00:00+07:00", amount: 2_500_000, paid: "2026-12-02T08:30:00+07:00")
        s.order("T3", "C1", placed: "2026-12-03T08:00:00+07:00", amount: 2_500_000, paid: "2026-12-03T08:30:00+07:00")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-05T00:00:00+07:00")
        #expect(s.summary(events) == ["tier-upgrade T2 2026-12-02T10:00:00+07:00"])
        #expect(events[0].keys == ["tier-upgrade:C1:Gold"])
        #expect(events[0].text!.hasPrefix("[QC]") && events[0].text!.contains("Gold"))
    }
}

@Suite("Birthdays and the shared policies (DOMAIN.md §3, §6, §7)")
struct BirthdayPlanningTests {
    func shop() -> Shop { Shop(jobs: [.birthday, .tierUpgrade]) }

    @Test func theGreetingCarriesTheCustomersTierGift() {
        var s = shop()
        s.customer("G1", birthday: "12-01", tier: "Gold")
        let text = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00")[0].text!
        #expect(text.contains("voucher 200.000d va mot phan qua bat ngo"), "\(text)")
    }

    @Test func feb29IsGreetedOnFeb28InOtherYearsAndOnFeb29InLeapYears() {
        var s = shop()
        s.customer("L1", birthday: "02-29")
        #expect(s.summary(s.plan(from: "2027-02-27T00:00:00+07:00", to: "2027-03-02T00:00:00+07:00")) == ["birthday L1 2027-02-28T09:00:00+07:00"])
        #expect(s.summary(s.plan(from: "2028-02-27T00:00:00+07:00", to: "2028-03-02T00:00:00+07:00")) == ["birthday L1 2028-02-29T09:00:00+07:00"])
    }

    @Test func onceAYearAcrossTheYearBoundary() {
        var s = shop()
        s.customer("N1", birthday: "01-01")
        let events = s.plan(from: "2026-12-31T00:00:00+07:00", to: "2027-01-03T00:00:00+07:00")
        #expect(s.summary(events) == ["birthday N1 2027-01-01T09:00:00+07:00"])
        #expect(events[0].keys == ["birthday:N1:2027"])
        #expect(events[0].text!.contains("Tang voucher 50.000d"), "no tier on file: the entry tier's gift")
    }

    @Test func caughtUpTheSameDayNeverADayLate() {
        var s = shop()
        s.customer("B1", birthday: "12-01")
        s.customer("B2", birthday: "12-02")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00",
                            down: [("2026-12-01T08:00:00+07:00", "2026-12-01T14:20:00+07:00"),
                                   ("2026-12-02T08:00:00+07:00", "2026-12-02T21:30:00+07:00")])
        #expect(s.summary(events) == ["birthday B1 2026-12-01T14:20:00+07:00"], "B2's day was missed entirely: no greeting on the 3rd")
    }

    @Test func optOutsAndConsent() {
        var s = shop()
        s.customer("O1", birthday: "12-01", optOut: .marketing)
        s.customer("O2", birthday: "12-01", optOut: .all)
        s.customer("O3", birthday: "12-01")
        #expect(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00").map(\.customerId) == ["O3"])
    }

    @Test func oneAdvertisingMessagePerCustomerPer24Hours() {
        var s = shop()
        s.customer("F1", birthday: "12-01", tier: "Standard")
        s.order("T1", "F1", placed: "2026-12-01T08:00:00+07:00", amount: 6_000_000, paid: "2026-12-01T08:30:00+07:00")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00")
        // The birthday at 09:00 uses the day's one advertising message; the tier news waits 24 h.
        #expect(s.summary(events) == ["birthday F1 2026-12-01T09:00:00+07:00", "tier-upgrade T1 2026-12-02T09:00:00+07:00"])
    }

    @Test func quietHoursHoldEveryMessage() {
        var s = Shop(jobs: [.birthday]) { job in job.schedule = try! CronSchedule("0 6 * * *") }
        s.customer("Q1", birthday: "12-01")
        // Fired at 06:00, inside quiet hours (21:00–08:00): it goes out when they end.
        #expect(s.summary(s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00")) == ["birthday Q1 2026-12-01T08:00:00+07:00"])
    }

    @Test func noContactIsReportedNotSkippedSilently() {
        var s = shop()
        s.customer("X1", phone: nil, email: nil, birthday: "12-01")
        let events = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00")
        #expect(events.count == 1 && events[0].channel == nil && events[0].problem?.contains("no contact") == true)
    }

    @Test func emailChannelWhenThereIsNoPhone() {
        var s = shop()
        s.customer("E1", phone: nil, email: "lan@example.vn", birthday: "12-01")
        let e = s.plan(from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00")[0]
        #expect(e.channel == .email && e.to == "lan@example.vn" && e.subject == "Chúc mừng sinh nhật Chị Lan!")
    }
}
