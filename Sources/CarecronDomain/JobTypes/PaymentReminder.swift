import Foundation

/// Reminders of unpaid prepaid orders at the right moment of the customer's day (DOMAIN.md §1);
/// the timing rule itself is `PaymentReminderPolicy` (PaymentWindows.swift).
public struct PaymentReminderRules: JobRules {
    public static let type = JobType(rawValue: "payment-reminder")

    public var policy: PaymentReminderPolicy
    /// One message per customer per instant, naming every order due then (§1, issue 3).
    public var combineOrders: Bool

    public init(policy: PaymentReminderPolicy, combineOrders: Bool = true) {
        self.policy = policy
        self.combineOrders = combineOrders
    }

    public static func parse(_ r: ObjectField?, job: ObjectField, shop: CarePolicy) -> Self? {
        var p = PaymentReminderPolicy(expiresAfter: shop.holdFor)
        if let r {
            if let f = r.optional("minAge") { p.minAge = f.timeSpan ?? p.minAge }
            if let f = r.optional("maxReminders") { p.maxReminders = f.int(1...5) ?? p.maxReminders }
            if let f = r.optional("minGap") { p.minGap = f.timeSpan ?? p.minGap }
            if let f = r.optional("lateness") { p.lateness = f.timeSpan ?? p.lateness }
            if let f = r.optional("windows") { p.windows = parseWindows(f) ?? p.windows }
        }
        return Self(policy: p, combineOrders: r?.optional("combineOrders")?.bool ?? true)
    }

    static func parseWindows(_ f: Field) -> [PaymentWindow]? {
        guard let list = f.array else { return nil }
        if list.isEmpty { return f.fail(Sentence("check.no_window")) }
        var windows: [PaymentWindow] = []
        for item in list {
            guard let w = item.object else { continue }
            let name = w.required("name")?.nonEmptyString, from = w.required("from")?.timeOfDay
            let to = w.required("to")?.timeOfDay, remindAt = w.required("remindAt")?.timeOfDay
            let deadline = w.optional("deadline")?.timeOfDay
            w.finish()
            if let name, let from, let to, let remindAt {
                windows.append(PaymentWindow(name: name, span: DailySpan(from: from, to: to), remindAt: remindAt, deadline: deadline))
            }
        }
        return windows.count == list.count ? windows : nil
    }

    public func check(_ job: JobDefinition, shop: CarePolicy, sink: DiagnosticSink) {
        for problem in policy.windowProblems(quietHours: shop.quietHours) { sink.error("rules.windows", problem) }
        if job.templates.count < policy.maxReminders {
            sink.error("templates", Sentence("check.variants_per_reminder", ["n": .number(policy.maxReminders), "found": .number(job.templates.count)]))
        }
        if policy.minGap.seconds <= 0 { sink.error("rules.minGap", Sentence("check.positive")) }
    }

    /// The customer sees their name before the preview cuts the message (handbook §1.8).
    public func messageProblems(_ text: String, customer: CustomerFacts) -> [Sentence] {
        guard !MessageRules.showsNameEarly(text, givenName: customer.name.given) else { return [] }
        return [Sentence("check.name_first", ["name": .text(customer.name.full), "text": .text(String(text.prefix(30)))])]
    }

    public var concernsOwnOrder: Bool { true }
    public var remindsInTurns: Bool { true }
    /// An order's reminders run from its placement until it expires.
    public func replay(_ job: JobDefinition, shop: CarePolicy) -> TimeInterval { policy.expiresAfter.interval }

    public func reasonToCancel(_ order: OrderAtSending, now: Date) -> Sentence? {
        if order.isPaid(by: now) { return Sentence("cancel.order_paid", ["order": .text(order.id)]) }
        if order.expiredAt != nil || order.status == .expired { return Sentence("cancel.order_expired", ["order": .text(order.id)]) }
        return nil
    }

    public func plan(_ job: JobDefinition, _ span: PlanningSpan) -> [PlannedEvent] {
        // Advertising needs the lookback's reminders for its cap; otherwise only the span's.
        reminders(job, span, notBefore: job.purpose == .marketing ? nil : span.from)
    }

    struct Send {
        let order: OrderSnapshot
        let number: Int
        let at: Date
    }

    /// `notBefore`: reminders before it are not wanted; an order that expired by then (every
    /// reminder comes before expiry) is not followed at all.
    func reminders(_ job: JobDefinition, _ span: PlanningSpan, notBefore: Date?) -> [PlannedEvent] {
        let input = span.input
        var sends: [Send] = []
        let clock = span.policy.clock
        for order in input.orders where !order.isCashOnDelivery {
            if let notBefore, policy.expiry(placedAt: order.placedAt) <= notBefore { continue }
            if order.isWithdrawn {
                span.skip(job, customerId: order.customerId, orders: [order], at: policy.firstDue(placedAt: order.placedAt, clock: clock) ?? order.placedAt,
                          .withdrawn(order))
                continue
            }
            guard span.reaches(input.customers[order.customerId], job, customerId: order.customerId, orders: [order],
                               at: policy.firstDue(placedAt: order.placedAt, clock: clock) ?? order.placedAt) else { continue }
            let sent = input.reminderSentAt
            // Only when the planner explains itself: a closure per order costs an allocation.
            let skip: ((Date, Sentence) -> Void)? = span.decisions == nil ? nil : { at, why in
                span.skip(job, customerId: order.customerId, orders: [order], at: at, why)
            }
            sends += chain(order, span.policy, span.downtime, purpose: job.purpose, skip: skip) {
                sent.isEmpty ? nil : sent["\(job.name):\(order.id):\($0)"]
            }
        }
        let groups = Dictionary(grouping: sends) { combineOrders ? "\($0.order.customerId)|\($0.at.timeIntervalSince1970)" : "\($0.order.id)|\($0.number)" }
        return groups.values.compactMap { group in
            let sorted = group.sorted { PaymentReminderPolicy.sendOrder(($0.order.placedAt, $0.order.amount), ($1.order.placedAt, $1.order.amount)) }
            let lead = sorted[0]
            let orders = sorted.map(\.order)
            let variant = MessageComposer.variant(job, number: lead.number, amount: Money.total(orders.lazy.map(\.amount)))
            return span.planner.event(job, customer: input.customers[lead.order.customerId]!, orders: orders, at: lead.at,
                                      reminder: (lead.number, policy.maxReminders), variant: variant,
                                      keys: sorted.map { "\(job.name):\($0.order.id):\($0.number)" })
        }
    }

    /// The reminders one order gets: each due by the rules, moved by lateness and quiet hours,
    /// and sent only if the order is still unpaid, not withdrawn and not expired at that moment.
    /// `sentAt` gives a reminder's real sending time once the outbox has it: a first reminder
    /// sent late (within lateness) still leaves `minGap` before the second. `skip` hears of
    /// each reminder not sent when due, and why (when the planner explains itself).
    func chain(_ order: OrderSnapshot, _ shop: CarePolicy, _ downtime: Downtime, purpose: Purpose,
               skip: ((Date, Sentence) -> Void)? = nil, sentAt: (Int) -> Date? = { _ in nil }) -> [Send] {
        var sends: [Send] = []
        var due = policy.firstDue(placedAt: order.placedAt, clock: shop.clock)
        var number = 1
        while let d = due {
            guard let at = sendingTime(due: d, order: order, shop, downtime, purpose: purpose, skip: skip) else {
                skip?(d, Sentence("skip.no_slot", ["number": .number(number)]))
                break
            }
            if order.isPaid(at: at) {
                skip?(at, Sentence("skip.paid_before_slot", ["number": .number(number), "order": .text(order.id)]))
                break
            }
            if order.isExpired(at: at) {
                skip?(at, Sentence("skip.expired_before_slot", ["number": .number(number), "order": .text(order.id)]))
                break
            }
            sends.append(Send(order: order, number: number, at: at))
            let went = sentAt(number) ?? at
            number += 1
            due = policy.nextDue(number: number, previousSentAt: went, placedAt: order.placedAt, clock: shop.clock)
        }
        return sends
    }

    /// When a reminder due at `due` actually goes out: on time, or late within `lateness`, or at
    /// the next slot; never in quiet hours, never at or after expiry.
    func sendingTime(due: Date, order: OrderSnapshot, _ shop: CarePolicy, _ downtime: Downtime, purpose: Purpose,
                     skip: ((Date, Sentence) -> Void)? = nil) -> Date? {
        var due = due
        var quiet: Date?
        for _ in 0..<16 {
            let now = downtime.resume(at: max(due, order.knownAt))
            guard let at = policy.deliveryTime(due: due, now: now, placedAt: order.placedAt, clock: shop.clock) else { return nil }
            if at > now { due = at; continue }  // moved to a later slot: that one may fall in an outage too
            if !shop.allows(purpose, at: at) {
                quiet = quiet ?? at
                due = policy.nextSlot(atOrAfter: shop.nextAllowed(purpose, atOrAfter: at), clock: shop.clock)
                continue
            }
            if let quiet, let skip { skip(quiet, Sentence("skip.quiet_moved", ["at": .at(at, shop.clock)])) }
            return at
        }
        return nil
    }
}

extension JobType {
    public static let paymentReminder = PaymentReminderRules.type
}
