import CarecronConfig
import CarecronDomain
import Foundation
import Testing

/// The planner explains itself (issue 12): every candidate the rules considered and did not
/// send then is a `skip` event with its reason, and explaining changes nothing else.
@Suite("The planner's reasons (simulate --explain)")
struct PlanExplainTests {
    func explained(_ s: Shop, from: String, to: String, down: [(String, String)] = []) -> [PlannedEvent] {
        var planner = CarePlanner(policy: s.policy, jobs: s.jobs)
        planner.explain = true
        return planner.plan(PlanningInput(customers: s.customers, orders: s.orders), from: s.t(from), to: s.t(to),
                            downtime: Downtime(down.map { DateInterval(start: s.t($0.0), end: s.t($0.1)) }))
    }

    /// "job subject at: reason" for each skip.
    func reasons(_ s: Shop, _ events: [PlannedEvent]) -> [String] {
        events.filter { $0.kind == .skip }.map { e in
            "\(e.job) \(e.orderIds.isEmpty ? e.customerId : e.orderIds.joined(separator: "+")) \(InstantFormat.format(e.at, clock: s.clock)): \(e.reason ?? "?")"
        }
    }

    /// A shop with one of each decision.
    func mixedShop() -> Shop {
        var s = Shop()
        s.customer("C1")
        s.customer("C2", optOut: .all)
        s.customer("C3", "Lê Văn Nam", gender: .male, birthday: "12-01", optOut: .marketing)
        s.customer("C4", "Phạm Thu Hà", phone: nil, email: nil)
        s.customer("C5", "Đỗ Minh Thư", birthday: "12-01")
        s.order("P1", "C1", placed: "2026-12-01T09:00:00+07:00", paid: "2026-12-01T11:30:00+07:00")
        s.order("P2", "C2", placed: "2026-12-01T09:00:00+07:00")
        s.order("P3", "C1", placed: "2026-12-01T08:30:00+07:00", status: "cancelled")
        s.order("P4", "C4", placed: "2026-12-01T08:40:00+07:00")
        s.order("K1", "C1", placed: "2026-12-01T22:30:00+07:00", method: "cod")
        // C5's birthday greeting at 09:00 and a tier reached the same day: the cap (1 a day) moves the second.
        s.order("G1", "C5", placed: "2026-12-01T08:00:00+07:00", amount: 5_200_000, paid: "2026-12-01T09:05:00+07:00")
        // C6 reached a tier the day before their birthday: the greeting is dropped, never late.
        s.customer("C6", "Vũ Thị Hoa", birthday: "12-01")
        s.order("G2", "C6", placed: "2026-11-30T08:00:00+07:00", amount: 5_200_000, paid: "2026-11-30T09:05:00+07:00")
        return s
    }

    @Test func everyDecisionHasItsReason() {
        let s = mixedShop()
        let r = reasons(s, explained(s, from: "2026-12-01T00:00:00+07:00", to: "2026-12-03T00:00:00+07:00"))
        func has(_ part: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.contains { $0.contains(part) }, "no \"\(part)\" in:\n\(r.joined(separator: "\n"))", sourceLocation: sourceLocation)
        }
        has("payment-reminder P1 2026-12-01T12:00:00+07:00: reminder #1: order P1 was paid before the slot")
        has("payment-reminder P2 2026-12-01T12:00:00+07:00: the customer opted out of all messages")
        has("payment-reminder P3 2026-12-01T12:00:00+07:00: order P3 was cancelled")
        has("birthday C3 2026-12-01T09:00:00+07:00: the customer opted out of marketing")
        has("payment-reminder P4 2026-12-01T12:00:00+07:00: no address for any channel (sms, email)")
        has("cod-confirmation K1 2026-12-01T22:40:00+07:00: quiet hours: moved to 2026-12-02T08:00:00+07:00")
        has("order-expiry P1 2026-12-02T09:00:00+07:00: order P1 was paid before it could expire")
        has("tier-upgrade G1 2026-12-01T10:00:00+07:00: marketing cap reached (1 in 24 h): moved to 2026-12-02T09:00:00+07:00")
        has("birthday C6 2026-12-01T09:00:00+07:00: marketing cap reached (1 in 24 h): dropped, a greeting is never late")
    }

    @Test func aDisabledJobsCandidatesAreListedAsSuch() {
        var s = mixedShop()
        s.jobs = s.jobs.map { var j = $0; if j.type == .birthday { j.enabled = false }; return j }
        let events = explained(s, from: "2026-12-01T00:00:00+07:00", to: "2026-12-02T00:00:00+07:00")
        #expect(reasons(s, events).contains("birthday C5 2026-12-01T09:00:00+07:00: job birthday is disabled"))
        #expect(!events.contains { $0.job == "birthday" && $0.kind == .message })
    }

    @Test func explainingChangesNothingButTheSkips() {
        let s = mixedShop()
        let plain = s.plan(from: "2026-11-30T00:00:00+07:00", to: "2026-12-08T00:00:00+07:00")
        let explained = explained(s, from: "2026-11-30T00:00:00+07:00", to: "2026-12-08T00:00:00+07:00").filter { $0.kind != .skip }
        let p4 = { (e: PlannedEvent) in e.orderIds == ["P4"] && e.kind == .message }
        // Only the message without an address becomes a skip: the rest is identical, words included.
        #expect(s.summary(explained) == s.summary(plain.filter { !p4($0) }))
        #expect(explained.map { $0.text ?? "" } == plain.filter { !p4($0) }.map { $0.text ?? "" })
        #expect(!plain.contains { $0.kind == .skip }, "no skip unless asked")
    }
}
