import CarecronDomain
import Foundation
import Testing

/// DOMAIN.md §1, rule by rule, on the pure policy.
@Suite("Payment windows (DOMAIN.md §1)")
struct PaymentWindowTests {
    let policy = PaymentReminderPolicy()
    let clock = TestSupport.saigon

    func first(_ placed: String, policy: PaymentReminderPolicy? = nil, clock: ShopClock = TestSupport.saigon) -> String? {
        (policy ?? self.policy).firstDue(placedAt: TestSupport.instant(placed, clock: clock), clock: clock)
            .map { InstantFormat.format($0, clock: clock) }
    }

    @Test func morningOrdersAreRemindedAtNoon() {
        #expect(first("2026-12-01T08:15:00+07:00") == "2026-12-01T12:00:00+07:00")
        #expect(first("2026-12-01T05:00:00+07:00") == "2026-12-01T12:00:00+07:00")
    }

    @Test func afternoonOrdersBeforeDispatch() {
        #expect(first("2026-12-01T11:30:00+07:00") == "2026-12-01T16:00:00+07:00")
        #expect(first("2026-12-01T11:55:00+07:00") == "2026-12-01T16:00:00+07:00")
    }

    @Test func eveningOrdersBeforeEightPM() {
        #expect(first("2026-12-01T16:25:00+07:00") == "2026-12-01T19:30:00+07:00")
    }

    @Test func nightOrdersTheNextMorningAtTen() {
        #expect(first("2026-12-01T19:45:00+07:00") == "2026-12-02T10:00:00+07:00")
        #expect(first("2026-12-01T02:10:00+07:00") == "2026-12-01T10:00:00+07:00")
        #expect(first("2026-12-01T04:59:00+07:00") == "2026-12-01T10:00:00+07:00")
    }

    @Test func minAgeIsRespected() {
        // 15:55 is in the afternoon window; 16:00 is only 5 minutes later, so 16:05.
        #expect(first("2026-12-01T15:55:00+07:00") == "2026-12-01T16:05:00+07:00")
        #expect(first("2026-12-01T19:25:00+07:00") == "2026-12-01T19:35:00+07:00")
    }

    @Test func pastTheDeadlineMovesToTheNextSlot() {
        var p = policy
        p.minAge = .minutes(45)
        // 15:50 + 45 min = 16:35, after the 16:30 dispatch: the next slot is 19:30.
        #expect(first("2026-12-01T15:50:00+07:00", policy: p) == "2026-12-01T19:30:00+07:00")
    }

    @Test func secondReminderAfterMinGapAtASlot() {
        let placed = TestSupport.instant("2026-12-01T08:15:00+07:00")
        let sent = TestSupport.instant("2026-12-01T12:00:00+07:00")
        let due = policy.nextDue(number: 2, previousSentAt: sent, placedAt: placed, clock: clock)
        #expect(due.map { InstantFormat.format($0, clock: clock) } == "2026-12-01T16:00:00+07:00")
        #expect(policy.nextDue(number: 3, previousSentAt: sent, placedAt: placed, clock: clock) == nil, "at most 2")
    }

    @Test func noReminderAtOrAfterExpiry() {
        var p = policy
        p.expiresAfter = .hours(2)
        // Placed 08:15, expires 10:15: the noon slot comes too late.
        #expect(first("2026-12-01T08:15:00+07:00", policy: p) == nil)
        p.expiresAfter = .minutes(225)  // exactly 12:00
        #expect(first("2026-12-01T08:15:00+07:00", policy: p) == nil)
    }

    @Test func lateReminderWithinLatenessGoesOutNow() {
        let placed = TestSupport.instant("2026-12-01T08:15:00+07:00")
        let due = TestSupport.instant("2026-12-01T12:00:00+07:00")
        let now = TestSupport.instant("2026-12-01T12:40:00+07:00")
        #expect(policy.deliveryTime(due: due, now: now, placedAt: placed, clock: clock) == now)
    }

    @Test func lateReminderBeyondLatenessMovesToTheNextSlot() {
        let placed = TestSupport.instant("2026-12-01T08:15:00+07:00")
        let due = TestSupport.instant("2026-12-01T12:00:00+07:00")
        let now = TestSupport.instant("2026-12-01T13:01:00+07:00")
        #expect(policy.deliveryTime(due: due, now: now, placedAt: placed, clock: clock)
                == TestSupport.instant("2026-12-01T16:00:00+07:00"))
    }

    @Test func recentAndLargerOrdersFirst() {
        let a = (placedAt: TestSupport.instant("2026-12-01T08:00:00+07:00"), amount: 100)
        let b = (placedAt: TestSupport.instant("2026-12-01T09:00:00+07:00"), amount: 50)
        let c = (placedAt: TestSupport.instant("2026-12-01T09:00:00+07:00"), amount: 900)
        let sorted = [a, b, c].sorted(by: PaymentReminderPolicy.sendOrder)
        #expect(sorted.map(\.amount) == [900, 50, 100])
    }

    @Test func windowsAreCheckedForOverlapsGapsAndQuietHours() {
        #expect(policy.windowProblems(quietHours: DailySpan(from: TimeOfDay(hour: 21), to: TimeOfDay(hour: 8))).isEmpty)
        var p = policy
        p.windows[0] = PaymentWindow(name: "morning", span: DailySpan(from: TimeOfDay(hour: 5), to: TimeOfDay(hour: 12)),
                                     remindAt: TimeOfDay(hour: 12))
        #expect(p.windowProblems(quietHours: nil).map(\.description).contains { $0.contains("overlap") && $0.contains("11:30–12:00") })
        p.windows[0] = PaymentWindow(name: "morning", span: DailySpan(from: TimeOfDay(hour: 6), to: TimeOfDay(hour: 11, minute: 30)),
                                     remindAt: TimeOfDay(hour: 7))
        let problems = p.windowProblems(quietHours: DailySpan(from: TimeOfDay(hour: 21), to: TimeOfDay(hour: 8))).map(\.description)
        #expect(problems.contains { $0.contains("gap") && $0.contains("05:00–06:00") })
        #expect(problems.contains { $0.contains("quiet hours") })
    }

    /// §1 in a zone with DST: the slots stay on the wall clock across both changes.
    @Test func daylightSavingTimeZone() {
        let berlin = TestSupport.berlin
        // The night before spring forward (2026-03-29): 10:00 the next morning is CEST.
        #expect(first("2026-03-28T23:00:00+01:00", clock: berlin) == "2026-03-29T10:00:00+02:00")
        // An order placed at 01:30 CEST on the autumn change day (25 October), the first 01:30.
        #expect(first("2026-10-25T01:30:00+02:00", clock: berlin) == "2026-10-25T10:00:00+01:00")
        // The expiry stays 24 real hours even over a 23-hour day.
        let placed = TestSupport.instant("2026-03-28T20:00:00+01:00", clock: berlin)
        #expect(InstantFormat.format(policy.expiry(placedAt: placed), clock: berlin) == "2026-03-29T21:00:00+02:00")
        // A slot inside a gap happens at the jump: a window reminding at 02:30 on the spring day.
        let gap = berlin.nextOccurrence(of: TimeOfDay(hour: 2, minute: 30), atOrAfter: TestSupport.instant("2026-03-29T00:00:00+01:00", clock: berlin))
        #expect(InstantFormat.format(gap, clock: berlin) == "2026-03-29T03:00:00+02:00")
    }
}
