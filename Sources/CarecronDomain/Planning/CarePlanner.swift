import Foundation

/// Decides who gets which message, when, and in what words: every job of DOMAIN.md over a span
/// of time, as the running service would live it. Pure: the same input gives the same events.
public struct CarePlanner: Sendable {
    public let policy: CarePolicy
    public let jobs: [JobDefinition]
    let composer: MessageComposer
    /// Render the message for the job's further channels too (the running service's outbox).
    public var renderFallbacks = false
    /// Also report every candidate the rules considered and did not send then, as `skip` events
    /// with a reason (`simulate --explain`, the console's plan). Off, it costs nothing.
    public var explain = false

    public init(policy: CarePolicy, jobs: [JobDefinition]) {
        self.policy = policy
        self.jobs = jobs
        self.composer = MessageComposer(policy: policy)
    }

    /// At least this much lookback (a wider replay, to check that the jobs' own are enough).
    public var lookbackAtLeast: TimeInterval = 0

    /// How far before `from` the planner replays, so that what happened before the span (a first
    /// reminder, a greeting that counts against the cap) shapes what happens in it: the longest
    /// of its jobs' own replays, an advertising job's with the cap's day before it (its messages
    /// there count against the span's). Issue 14: three days for every shop made one instant of a
    /// big shop load three days of orders where the shipped jobs need two.
    public var lookback: TimeInterval {
        let replays = jobs.filter { $0.enabled || explain }.map { job in
            job.rules.replay(job, shop: policy) + (job.purpose == .marketing ? Self.marketingCapWindow : 0)
        }
        return max(replays.max() ?? 0, lookbackAtLeast, 3600)
    }

    /// The advertising cap counts the messages of the last 24 hours.
    static let marketingCapWindow: TimeInterval = 86_400

    /// How far past a span the planner plans, so that what happens after it shapes what happens
    /// in it (a birthday tomorrow morning keeps a campaign message from going out tonight).
    public var lookahead: TimeInterval { jobs.filter(\.enabled).compactMap(\.rules.audienceSending?.lookahead).max() ?? 0 }

    /// Every event in [from, to), in time order.
    public func plan(_ input: PlanningInput, from: Date, to: Date, downtime: Downtime = Downtime()) -> [PlannedEvent] {
        let start = from.addingTimeInterval(-lookback), end = to.addingTimeInterval(lookahead)
        var events: [PlannedEvent] = []
        let decisions = explain ? Decisions() : nil
        let span = PlanningSpan(planner: self, input: input, from: from, to: end, start: start, downtime: downtime, decisions: decisions)
        // Only advertising needs the lookback's events (for the cap); everything else is cut to
        // the span as each job is planned (a day's replay of a big shop is tens of thousands of
        // events), and words are rendered last, for the events shown.
        let marketing = Set(jobs.filter { $0.purpose == .marketing }.map(\.name))
        let isInSpan = { (e: PlannedEvent) in e.at >= from && e.at < to }
        for job in jobs where job.enabled {
            var planned = job.rules.plan(job, span)
            if !marketing.contains(job.name) { planned = planned.filter(isInSpan) }
            if let holdout = job.holdout {
                // Advertising keeps its replay (the cap counts it), so the group is marked there too.
                let reason = holdout.reason
                for i in planned.indices where planned[i].kind == .message && holdout.withholds(reminder: planned[i].reminder)
                    && holdout.holds(planned[i].customerId, job: job.name) {
                    planned[i] = explain ? planned[i].skipped(reason) : planned[i].heldBack(reason)
                }
            }
            events += planned
        }
        if let decisions {
            // A disabled job's candidates, each with that reason.
            let quiet = PlanningSpan(planner: self, input: input, from: from, to: end, start: start, downtime: downtime, decisions: nil)
            for job in jobs where !job.enabled {
                decisions.skipped += job.rules.plan(job, quiet).map { $0.skipped(Sentence("skip.job_disabled", ["job": .text(job.name)])) }
            }
        }
        let yielding = Set(jobs.filter { $0.rules.audienceSending != nil }.map(\.name))
        // The control group's messages are never sent: they take no place under the daily cap.
        let isAdvertising = { (e: PlannedEvent) in marketing.contains(e.job) && e.kind == .message && e.heldOut == nil }
        let advertising = applyMarketingCap(events.filter { isAdvertising($0) && !yielding.contains($0.job) }.sorted(by: Self.timeOrder))
        let yielded = applyYieldingCap(events.filter { isAdvertising($0) && yielding.contains($0.job) }.sorted(by: Self.timeOrder),
                                       others: advertising)
        var inSpan = advertising.filter(isInSpan)
        inSpan += yielded.lazy.filter(isInSpan)
        inSpan += events.lazy.filter { !isAdvertising($0) && isInSpan($0) }
        inSpan += (decisions?.skipped ?? []).lazy.filter(isInSpan)
        return inSpan.sorted(by: Self.timeOrder).map(composed)
    }

    // MARK: - What several job types share

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

    // MARK: - Samples for `preview --sample`

    /// Every template variant of the jobs rendered for the sample customers on each of the job's
    /// channels, for marketers editing the wording.
    public func samples(at: Date) -> [PlannedEvent] {
        let sampleOrders = MessageContext.sampleOrders(now: at).map {
            OrderSnapshot(id: $0.id, customerId: "SAMPLE", placedAt: $0.placedAt, amount: $0.amount, items: $0.items, agent: $0.agent)
        }
        var events: [PlannedEvent] = []
        for job in jobs {
            let orders = job.rules.remindsInTurns ? sampleOrders : [sampleOrders[0]]
            for variant in job.templates.indices {
                for facts in MessageContext.sampleCustomers() {
                    let customer = CustomerSnapshot(facts: facts)
                    for channel in job.channels where MessageComposer.contact(for: channel, customer) != nil {
                        events.append(event(job, customer: customer, orders: orders, at: at,
                                            reminder: job.rules.remindsInTurns ? (variant + 1, job.templates.count) : nil,
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
    /// would exceed it waits until the cap allows, unless its type drops it (a birthday is never late).
    /// Takes the advertising messages only, in time order.
    func applyMarketingCap(_ events: [PlannedEvent]) -> [PlannedEvent] {
        let waits = Dictionary(jobs.map { ($0.name, $0.rules.waitsForMarketingCap) }, uniquingKeysWith: { a, _ in a })
        var sent: [String: [Date]] = [:]
        var out: [PlannedEvent] = []
        var queue = events[...]
        var postponed: [PlannedEvent] = []
        while let e = nextEvent(&queue, &postponed) {
            let window = (sent[e.customerId] ?? []).filter { $0 > e.at.addingTimeInterval(-Self.marketingCapWindow) }
            if window.count < policy.marketingDailyCap {
                sent[e.customerId, default: []].append(e.at)
                out.append(e)
            } else if waits[e.job] ?? true, let oldest = window.min() {
                var later = e
                later.at = policy.nextAllowed(.marketing, atOrAfter: oldest.addingTimeInterval(Self.marketingCapWindow))
                postponed.append(later)
                postponed.sort(by: Self.timeOrder)
                if explain { out.append(e.skipped(Sentence("skip.cap_moved", ["cap": .number(policy.marketingDailyCap), "at": .at(later.at, policy.clock)]))) }
            } else if explain {
                out.append(e.skipped(Sentence("skip.cap_dropped", ["cap": .number(policy.marketingDailyCap)])))
            }
        }
        return out
    }

    /// The cap for messages that give way (campaigns): one goes out only while the customer's
    /// other advertising in the 24 h before it, and in the 24 h after it, stays under the cap.
    /// Taken in time order, so that of two campaigns the earlier one wins.
    func applyYieldingCap(_ events: [PlannedEvent], others: [PlannedEvent]) -> [PlannedEvent] {
        var times: [String: [Date]] = [:]
        for e in others where e.kind == .message { times[e.customerId, default: []].append(e.at) }
        var out: [PlannedEvent] = []
        for e in events {
            if MarketingCap.allowsYielding(at: e.at, others: times[e.customerId] ?? [], cap: policy.marketingDailyCap) {
                times[e.customerId, default: []].append(e.at)
                out.append(e)
            } else if explain {
                out.append(e.skipped(MarketingCap.yieldedReason(policy.marketingDailyCap)))
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
               skipping: Set<ChannelKind> = [], extra: [String: [String: String]] = [:]) -> PlannedEvent {
        var e = PlannedEvent(at: at, job: job, kind: .message, customerId: customer.id, orders: orders, reminder: reminder?.0, keys: keys)
        e.draft = MessageDraft(job: job, customer: customer, orders: orders, reminder: reminder, tier: tier, variant: variant, skipping: skipping,
                               extra: extra)
        return e
    }

    /// The event with its message rendered on the first channel that reaches the customer.
    func composed(_ e: PlannedEvent) -> PlannedEvent {
        guard let d = e.draft else { return e }
        var e = e
        e.draft = nil
        // In an experiment the customer's arm is the variant, whatever the job would have picked.
        let variant = d.job.experiment?.arm(for: d.customer.id, job: d.job.name) ?? d.variant
        e.variant = variant
        if let m = composer.compose(d.job, variant: variant, customer: d.customer, orders: d.orders, reminder: d.reminder,
                                    tier: d.tier, at: e.at, skipping: d.skipping, extra: d.extra) {
            e.channel = m.kind
            e.to = m.to
            e.subject = m.subject
            e.text = m.text
            e.params = m.params
            e.templateId = m.templateId
            e.html = m.html
            e.awaitReceipt = m.awaitReceipt
            if explain, let channel = m.kind, let wait = DeliveryFallback.wait(d.job, on: channel),
               let next = d.job.channels.drop(while: { $0 != channel }).dropFirst()
                .first(where: { !d.skipping.contains($0) && MessageComposer.contact(for: $0, d.customer) != nil }) {
                e.fallbackNote = DeliveryFallback.note(channel: channel, wait: wait, next: next)
            }
            var skipping = d.skipping.union(m.kind.map { [$0] } ?? [])
            while renderFallbacks, let next = composer.compose(d.job, variant: variant, customer: d.customer, orders: d.orders,
                                                              reminder: d.reminder, tier: d.tier, at: e.at, skipping: skipping, extra: d.extra) {
                e.fallbacks.append(next)
                if let kind = next.kind { skipping.insert(kind) }
            }
        } else {
            e.problem = "no contact for \(d.job.channels.map(\.rawValue).joined(separator: ", "))"
            if explain { e = e.skipped(Sentence("skip.no_address", ["channels": .channels(d.job.channels)])) }
        }
        return e
    }

    /// Time order; at one instant, bookkeeping first, then by job, then the most recent order and
    /// the larger amount first (§1.7).
    static func timeOrder(_ a: PlannedEvent, _ b: PlannedEvent) -> Bool {
        if a.at != b.at { return a.at < b.at }
        if a.kind != b.kind { return a.kind.order < b.kind.order }
        if a.job != b.job { return a.job < b.job }
        if a.placedAt != b.placedAt { return (a.placedAt ?? .distantPast) > (b.placedAt ?? .distantPast) }
        if a.amount != b.amount { return a.amount > b.amount }
        return (a.orderId ?? a.customerId) < (b.orderId ?? b.customerId)
    }
}
