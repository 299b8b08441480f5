import Foundation

/// Decides who gets which message, when, and in what words: every job of DOMAIN.md over a span
/// of time, as the running service would live it. Pure: the same input gives the same events.
public struct CarePlanner: Sendable {
    public let policy: CarePolicy
    public let jobs: [JobDefinition]
    let composer: MessageComposer
    /// Render the message for the job's further channels too (the running service's outbox).
    public var renderFallbacks = false

    public init(policy: CarePolicy, jobs: [JobDefinition]) {
        self.policy = policy
        self.jobs = jobs
        self.composer = MessageComposer(policy: policy)
    }

    /// How far before `from` the planner replays, so that what happened before the span (a first
    /// reminder, a greeting that counts against the cap) shapes what happens in it.
    public var lookback: TimeInterval { policy.holdFor.interval + 2 * 86_400 }

    /// Every event in [from, to), in time order.
    public func plan(_ input: PlanningInput, from: Date, to: Date, downtime: Downtime = Downtime()) -> [PlannedEvent] {
        let start = from.addingTimeInterval(-lookback)
        var events: [PlannedEvent] = []
        for job in jobs where job.enabled {
            switch job.rules {
            case .paymentReminder(let rules, let combine):
                // Advertising needs the lookback's reminders for its cap; otherwise only the span's.
                events += paymentReminders(job, rules, combine: combine, input, downtime,
                                           notBefore: job.purpose == .marketing ? nil : from)
            case .orderExpiry(let notify):
                events += expiries(job, notify: notify, input, downtime)
            case .codConfirmation(let after, _):
                events += codConfirmations(job, after: after, input, downtime)
            case .birthday:
                events += birthdays(job, input, from: start, to: to, downtime)
            case .postSaleCheckin(let days):
                events += checkins(job, afterDays: days, input, from: start, to: to, downtime)
            case .tierUpgrade:
                events += tierUpgrades(job, input, downtime)
            }
        }
        // Only advertising needs the lookback's events (for the cap); everything else is cut to
        // the span before sorting, and words are rendered last, for the events shown.
        let marketing = Set(jobs.filter { $0.purpose == .marketing }.map(\.name))
        let advertising = applyMarketingCap(events.filter { marketing.contains($0.job) && $0.kind == .message }.sorted(by: Self.timeOrder))
        let inSpan = (advertising + events.filter { !(marketing.contains($0.job) && $0.kind == .message) })
            .filter { $0.at >= from && $0.at < to }
        return inSpan.sorted(by: Self.timeOrder).map(composed)
    }

    // MARK: - Payment reminders (DOMAIN.md §1)

    struct ReminderSend {
        let order: OrderSnapshot
        let number: Int
        let at: Date
    }

    /// `notBefore`: reminders before it are not wanted; an order that expired by then (every
    /// reminder comes before expiry) is not followed at all.
    func paymentReminders(_ job: JobDefinition, _ rules: PaymentReminderPolicy, combine: Bool,
                          _ input: PlanningInput, _ downtime: Downtime, notBefore: Date? = nil) -> [PlannedEvent] {
        var sends: [ReminderSend] = []
        for order in input.orders where !order.isCashOnDelivery && !order.isWithdrawn {
            if let notBefore, rules.expiry(placedAt: order.placedAt) <= notBefore { continue }
            guard let customer = input.customers[order.customerId], customer.accepts(job.purpose) else { continue }
            let sent = input.reminderSentAt
            sends += reminderChain(order, rules, downtime, purpose: job.purpose) { sent.isEmpty ? nil : sent["\(job.name):\(order.id):\($0)"] }
        }
        // One message per customer per instant, naming every order due then (§1, issue 3).
        let groups = Dictionary(grouping: sends) { combine ? "\($0.order.customerId)|\($0.at.timeIntervalSince1970)" : "\($0.order.id)|\($0.number)" }
        return groups.values.compactMap { group in
            let sorted = group.sorted { PaymentReminderPolicy.sendOrder(($0.order.placedAt, $0.order.amount), ($1.order.placedAt, $1.order.amount)) }
            let lead = sorted[0]
            let orders = sorted.map(\.order)
            let variant = MessageComposer.variant(job, number: lead.number, amount: orders.reduce(0) { $0 + $1.amount })
            return event(job, customer: input.customers[lead.order.customerId]!, orders: orders, at: lead.at,
                         reminder: (lead.number, rules.maxReminders), variant: variant,
                         keys: sorted.map { "\(job.name):\($0.order.id):\($0.number)" })
        }
    }

    /// The reminders one order gets: each due by the rules, moved by lateness and quiet hours,
    /// and sent only if the order is still unpaid, not withdrawn and not expired at that moment.
    /// `sentAt` gives a reminder's real sending time once the outbox has it: a first reminder
    /// sent late (within lateness) still leaves `minGap` before the second.
    func reminderChain(_ order: OrderSnapshot, _ rules: PaymentReminderPolicy, _ downtime: Downtime,
                       purpose: Purpose = .transactional, sentAt: (Int) -> Date? = { _ in nil }) -> [ReminderSend] {
        var sends: [ReminderSend] = []
        var due = rules.firstDue(placedAt: order.placedAt, clock: policy.clock)
        var number = 1
        while let d = due, let at = reminderTime(due: d, order: order, rules, downtime, purpose: purpose) {
            if order.isPaid(at: at) || order.isExpired(at: at) { break }
            sends.append(ReminderSend(order: order, number: number, at: at))
            let went = sentAt(number) ?? at
            number += 1
            due = rules.nextDue(number: number, previousSentAt: went, placedAt: order.placedAt, clock: policy.clock)
        }
        return sends
    }

    /// When a reminder due at `due` actually goes out: on time, or late within `lateness`, or at
    /// the next slot; never in quiet hours, never at or after expiry.
    func reminderTime(due: Date, order: OrderSnapshot, _ rules: PaymentReminderPolicy, _ downtime: Downtime,
                      purpose: Purpose = .transactional) -> Date? {
        var due = due
        for _ in 0..<16 {
            let now = downtime.resume(at: max(due, order.knownAt))
            guard let at = rules.deliveryTime(due: due, now: now, placedAt: order.placedAt, clock: policy.clock) else { return nil }
            if at > now { due = at; continue }  // moved to a later slot: that one may fall in an outage too
            if !policy.allows(purpose, at: at) {
                due = rules.nextSlot(atOrAfter: policy.nextAllowed(purpose, atOrAfter: at), clock: policy.clock)
                continue
            }
            return at
        }
        return nil
    }

    // MARK: - Expiry (DOMAIN.md §2)

    func expiries(_ job: JobDefinition, notify: Bool, _ input: PlanningInput, _ downtime: Downtime) -> [PlannedEvent] {
        var events: [PlannedEvent] = []
        for order in input.orders where !order.isCashOnDelivery && !order.isWithdrawn && order.status != .expired {
            let due = order.placedAt.addingTimeInterval(policy.holdFor.interval)
            let at = downtime.resume(at: max(due, order.knownAt))
            guard !order.isPaid(at: at) else { continue }
            events.append(PlannedEvent(at: at, job: job, kind: .expire, customerId: order.customerId, orders: [order],
                                       keys: ["\(job.name):\(order.id)"]))
            guard notify, let customer = input.customers[order.customerId], customer.accepts(job.purpose),
                  let when = deliverable(job, at: at, downtime) else { continue }
            events.append(event(job, customer: customer, orders: [order], at: when, variant: 0, keys: ["\(job.name):\(order.id):notice"]))
        }
        return events
    }

    // MARK: - Cash-on-delivery confirmation (DOMAIN.md §1.9)

    func codConfirmations(_ job: JobDefinition, after: TimeSpan, _ input: PlanningInput, _ downtime: Downtime) -> [PlannedEvent] {
        input.orders.compactMap { order in
            guard order.isCashOnDelivery, !order.isWithdrawn, let customer = input.customers[order.customerId],
                  customer.accepts(job.purpose),
                  let at = deliverable(job, at: max(order.placedAt.addingTimeInterval(after.interval), order.knownAt), downtime),
                  order.deliveredAt.map({ $0 > at }) ?? true else { return nil }
            return event(job, customer: customer, orders: [order], at: at, variant: 0, keys: ["\(job.name):\(order.id)"])
        }
    }

    // MARK: - Birthdays (DOMAIN.md §3)

    func birthdays(_ job: JobDefinition, _ input: PlanningInput, from: Date, to: Date, _ downtime: Downtime) -> [PlannedEvent] {
        var byMonthDay: [String: [CustomerSnapshot]] = [:]
        for c in input.customers.values where c.accepts(job.purpose) {
            if let md = c.birthMonthDay { byMonthDay[md, default: []].append(c) }
        }
        var events: [PlannedEvent] = []
        for (day, at) in sameDayRuns(job, from: from, to: to, downtime) {
            var monthDays = [day.monthDay]
            // Feb 29 birthdays are greeted on Feb 28 in other years.
            if day.month == 2, day.day == 28, !LocalDate.isLeap(day.year) { monthDays.append("02-29") }
            for customer in monthDays.flatMap({ byMonthDay[$0] ?? [] }).sorted(by: { $0.id < $1.id }) {
                events.append(event(job, customer: customer, orders: [], at: at, variant: 0,
                                    keys: ["\(job.name):\(customer.id):\(day.year)"]))
            }
        }
        return events
    }

    /// One run per local day at the schedule's first firing that day; after an outage the run is
    /// caught up the same day while messages may still go out, never a day late.
    func sameDayRuns(_ job: JobDefinition, from: Date, to: Date, _ downtime: Downtime) -> [(LocalDate, Date)] {
        var runs: [(LocalDate, Date)] = []
        var day = policy.clock.localDate(of: from)
        let last = policy.clock.localDate(of: to)
        while day <= last {
            let dayStart = policy.clock.startOfDay(day)
            if let firing = job.schedule.next(after: dayStart.addingTimeInterval(-1), clock: policy.clock),
               policy.clock.localDate(of: firing) == day {
                let at = policy.nextAllowed(job.purpose, atOrAfter: downtime.resume(at: firing))
                if policy.clock.localDate(of: at) == day, downtime.resume(at: at) == at { runs.append((day, at)) }
            }
            day = day.adding(days: 1)
        }
        return runs
    }

    // MARK: - Post-sale check-in (DOMAIN.md §4)

    func checkins(_ job: JobDefinition, afterDays: Int, _ input: PlanningInput, from: Date, to: Date,
                  _ downtime: Downtime) -> [PlannedEvent] {
        // The day each order's check-in is due: N days after delivery, or after payment where
        // delivery is not tracked.
        var dueOn: [LocalDate: [OrderSnapshot]] = [:]
        for order in input.orders where !order.isWithdrawn {
            guard let basis = order.deliveredAt ?? (order.isCashOnDelivery ? nil : order.paidAt) else { continue }
            dueOn[policy.clock.localDate(of: basis).adding(days: afterDays), default: []].append(order)
        }
        var events: [PlannedEvent] = []
        var pending: [OrderSnapshot] = []
        var lastDay = policy.clock.localDate(of: from)
        for (day, at) in sameDayRuns(job, from: from, to: to, downtime) {
            // Orders due on days without a run (an outage) are taken by the next run.
            while lastDay <= day {
                pending += dueOn[lastDay] ?? []
                lastDay = lastDay.adding(days: 1)
            }
            let isReady = { (o: OrderSnapshot) in (o.deliveredAt ?? o.paidAt ?? at) <= at }
            let ready = pending.filter(isReady)
            pending.removeAll(where: isReady)
            // One message per customer per day, naming every order that qualifies.
            for (customerId, orders) in Dictionary(grouping: ready, by: \.customerId).sorted(by: { $0.key < $1.key }) {
                guard let customer = input.customers[customerId], customer.accepts(job.purpose) else { continue }
                let sorted = orders.sorted { $0.placedAt > $1.placedAt }
                events.append(event(job, customer: customer, orders: sorted, at: at, variant: 0,
                                    keys: sorted.map { "\(job.name):\($0.id)" }))
            }
        }
        return events
    }

    // MARK: - Tier upgrade (`003_…txt`)

    func tierUpgrades(_ job: JobDefinition, _ input: PlanningInput, _ downtime: Downtime) -> [PlannedEvent] {
        var events: [PlannedEvent] = []
        for (customerId, orders) in Dictionary(grouping: input.orders, by: \.customerId) {
            guard let customer = input.customers[customerId], customer.accepts(job.purpose) else { continue }
            var spend = 0
            var reached = policy.tier(named: customer.facts.tier)?.minSpend ?? 0
            let paid = orders.filter { $0.paidAt != nil && !$0.isWithdrawn }.sorted { $0.paidAt! < $1.paidAt! }
            for order in paid {
                spend += order.amount
                guard let tier = policy.tier(forSpend: spend), tier.minSpend > reached else { continue }
                reached = tier.minSpend
                guard let firing = job.schedule.next(after: order.paidAt!.addingTimeInterval(-1), clock: policy.clock),
                      let at = deliverable(job, at: firing, downtime) else { continue }
                events.append(event(job, customer: customer, orders: [order], at: at, tier: tier, variant: 0,
                                    keys: ["\(job.name):\(customerId):\(tier.name)"]))
            }
        }
        return events
    }

    // MARK: - Samples for `preview --sample`

    /// Every template variant of the jobs rendered for the sample customers on each of the job's
    /// channels, for marketers editing the wording.
    public func samples(at: Date) -> [PlannedEvent] {
        let sampleOrders = MessageContext.sampleOrders(now: at).map {
            OrderSnapshot(id: $0.id, customerId: "SAMPLE", placedAt: $0.placedAt, amount: $0.amount, items: $0.items, agent: $0.agent)
        }
        var events: [PlannedEvent] = []
        for job in jobs {
            let orders = job.type == .paymentReminder ? sampleOrders : [sampleOrders[0]]
            for variant in job.templates.indices {
                for facts in MessageContext.sampleCustomers() {
                    let customer = CustomerSnapshot(facts: facts)
                    for channel in job.channels where MessageComposer.contact(for: channel, customer) != nil {
                        events.append(event(job, customer: customer, orders: orders, at: at,
                                            reminder: job.type == .paymentReminder ? (variant + 1, job.templates.count) : nil,
                                            tier: policy.tiers.last, variant: variant, keys: ["sample:\(job.name):\(variant + 1)"],
                                            skipping: Set(job.channels.filter { $0 != channel })).composedBy(self))
                    }
                }
            }
        }
        return events
    }

    // MARK: - Shared policies (DOMAIN.md §6, §7)

    /// When a message due at `t` goes out: after any outage, and outside quiet (and, for
    /// advertising, outside non-advertising) hours, or nil if the job drops it then.
    func deliverable(_ job: JobDefinition, at t: Date, _ downtime: Downtime) -> Date? {
        var at = downtime.resume(at: t)
        for _ in 0..<8 {
            if policy.allows(job.purpose, at: at) { return at }
            if job.duringQuietHours == .drop { return nil }
            at = downtime.resume(at: policy.nextAllowed(job.purpose, atOrAfter: at))
        }
        return nil
    }

    /// At most `marketingDailyCap` advertising messages per customer per 24 h: a greeting that
    /// would exceed it is dropped (a birthday is never late), others wait until the cap allows.
    /// Takes the advertising messages only, in time order.
    func applyMarketingCap(_ events: [PlannedEvent]) -> [PlannedEvent] {
        var sent: [String: [Date]] = [:]
        var out: [PlannedEvent] = []
        var queue = events[...]
        var postponed: [PlannedEvent] = []
        while let e = nextEvent(&queue, &postponed) {
            let window = (sent[e.customerId] ?? []).filter { $0 > e.at.addingTimeInterval(-86_400) }
            if window.count < policy.marketingDailyCap {
                sent[e.customerId, default: []].append(e.at)
                out.append(e)
            } else if e.jobType != .birthday, let oldest = window.min() {
                var later = e
                later.at = policy.nextAllowed(.marketing, atOrAfter: oldest.addingTimeInterval(86_400))
                postponed.append(later)
                postponed.sort(by: Self.timeOrder)
            }
        }
        return out
    }

    private func nextEvent(_ queue: inout ArraySlice<PlannedEvent>, _ postponed: inout [PlannedEvent]) -> PlannedEvent? {
        if let p = postponed.first, queue.first.map({ Self.timeOrder(p, $0) }) ?? true { return postponed.removeFirst() }
        return queue.popFirst()
    }

    func event(_ job: JobDefinition, customer: CustomerSnapshot, orders: [OrderSnapshot], at: Date,
               reminder: (Int, Int)? = nil, tier: Tier? = nil, variant: Int, keys: [String],
               skipping: Set<ChannelKind> = []) -> PlannedEvent {
        var e = PlannedEvent(at: at, job: job, kind: .message, customerId: customer.id, orders: orders, reminder: reminder?.0, keys: keys)
        e.draft = MessageDraft(job: job, customer: customer, orders: orders, reminder: reminder, tier: tier, variant: variant, skipping: skipping)
        return e
    }

    /// The event with its message rendered on the first channel that reaches the customer.
    func composed(_ e: PlannedEvent) -> PlannedEvent {
        guard let d = e.draft else { return e }
        var e = e
        e.draft = nil
        if let m = composer.compose(d.job, variant: d.variant, customer: d.customer, orders: d.orders, reminder: d.reminder,
                                    tier: d.tier, at: e.at, skipping: d.skipping) {
            e.channel = m.kind
            e.to = m.to
            e.subject = m.subject
            e.text = m.text
            e.params = m.params
            e.templateId = m.templateId
            e.html = m.html
            var skipping = d.skipping.union(m.kind.map { [$0] } ?? [])
            while renderFallbacks, let next = composer.compose(d.job, variant: d.variant, customer: d.customer, orders: d.orders,
                                                              reminder: d.reminder, tier: d.tier, at: e.at, skipping: skipping) {
                e.fallbacks.append(next)
                if let kind = next.kind { skipping.insert(kind) }
            }
        } else {
            e.problem = "no contact for \(d.job.channels.map(\.rawValue).joined(separator: ", "))"
        }
        return e
    }

    /// Time order; at one instant, bookkeeping first, then by job, then the most recent order and
    /// the larger amount first (§1.7).
    static func timeOrder(_ a: PlannedEvent, _ b: PlannedEvent) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.kind != b.kind { return a.kind == .expire }
        if a.job != b.job { return a.job < b.job }
        if a.placedAt != b.placedAt { return (a.placedAt ?? .distantPast) > (b.placedAt ?? .distantPast) }
        if a.amount != b.amount { return a.amount > b.amount }
        return (a.orderId ?? a.customerId) < (b.orderId ?? b.customerId)
    }
}
