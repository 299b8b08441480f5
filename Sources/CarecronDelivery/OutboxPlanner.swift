import Algorithms
import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import Metrics

/// The running service's planning step: the planner over the span since the last step (an
/// outage in between is lived by the jobs' own lateness and catch-up rules), with every event
/// due by now written to the outbox once, and due expiries applied to the orders.
public struct OutboxPlanner: Sendable {
    public let store: any CareStore
    public let config: ShopConfig
    public var jobs: [JobDefinition]
    /// Plans campaigns too (a dry run shows them as they fall due; the running service writes
    /// them with `CampaignStep` instead).
    public var includesPagedJobs = false
    /// Replays at least this long (`CarePlanner.lookbackAtLeast`).
    public var replayAtLeast: TimeInterval = 0

    public init(store: any CareStore, config: ShopConfig, jobs: [JobDefinition]) {
        self.store = store
        self.config = config
        self.jobs = jobs
    }

    public struct Result: Sendable, Equatable {
        public var planned = 0
        public var expired = 0
        /// The next instant something becomes due, for the scheduler's sleep.
        public var nextDue: Date?

        public init(planned: Int = 0, expired: Int = 0, nextDue: Date? = nil) {
            self.planned = planned
            self.expired = expired
            self.nextDue = nextDue
        }
    }

    /// What is due by `now` (and when the next thing is): the planner over the span since the
    /// last step. `upSince` is when this run of the service began; `lastSeen` when a previous run
    /// was last alive (nil the first time): the gap between them is an outage.
    /// The last plan (`memo`) is reused while nothing it was made from has changed: planning a
    /// big shop costs a second of CPU, and an idle service wakes every minute.
    /// `fresh` says the caller knows of news (data from the API, a reload, a stop); writes by other
    /// processes are seen through the database's data version.
    public func due(now: Date, upSince: Date, lastSeen: Date?, memo: inout PlanMemo?, fresh: Bool,
                    horizon: TimeInterval = 3600) async throws -> (events: [PlannedEvent], nextDue: Date?) {
        let version = try await store.dataVersion()
        if !fresh, var m = memo, m.version == version, now < m.validUntil {
            let split = m.pending.partitioningIndex { $0.at > now }
            let due = Array(m.pending[..<split])
            m.pending.removeFirst(split)
            memo = m
            return (due, m.pending.first?.at)
        }
        let (events, future) = try await plan(now: now, upSince: upSince, lastSeen: lastSeen, horizon: horizon)
        memo = PlanMemo(pending: future, validUntil: now.addingTimeInterval(horizon - 300), version: version)
        return (events, future.first?.at)
    }

    /// The planner over [the last step − 1 h, now + horizon): what is due by now, and the rest in time order.
    func plan(now: Date, upSince: Date, lastSeen: Date?, horizon: TimeInterval) async throws -> (due: [PlannedEvent], future: [PlannedEvent]) {
        // Campaigns are written a page at a time by `CampaignStep`; they yield to these jobs, not these to them.
        var planner = CarePlanner(policy: config.policy, jobs: jobs.filter { $0.enabled && (includesPagedJobs || $0.rules.audienceSending == nil) })
        planner.renderFallbacks = true
        planner.lookbackAtLeast = replayAtLeast
        // An hour before the last step, not the instant of it: an order stored during a step (or
        // known in whole seconds) is due just before it. The outbox's keys make replanning harmless.
        let from = (lastSeen.map { min($0, upSince) } ?? upSince).addingTimeInterval(-3600)
        let downtime = Downtime(lastSeen.map { $0 < upSince ? [DateInterval(start: $0, end: upSince)] : [] } ?? [])
        let to = now.addingTimeInterval(horizon)
        let input = try await store.planningInput(for: planner, jobs: jobs, from: from, to: to, ordersFromPlacement: false)
        let events = planner.plan(input, from: from, to: to, downtime: downtime).sorted { $0.at < $1.at }
        let split = events.partitioningIndex { $0.at > now }
        return (Array(events[..<split]), Array(events[split...]))
    }

    /// Plans what is due at `now` into the outbox (each occurrence once) and applies due
    /// expiries, reusing the last plan while nothing changed (see `due`).
    public func step(now: Date, upSince: Date, lastSeen: Date?, memo: inout PlanMemo?, fresh: Bool,
                     horizon: TimeInterval = 3600) async throws -> Result {
        let (events, nextDue) = try await due(now: now, upSince: upSince, lastSeen: lastSeen, memo: &memo, fresh: fresh, horizon: horizon)
        let outbox = store.outbox
        var result = Result(nextDue: nextDue)
        for job in jobs where job.enabled {
            Gauge(label: "carecron_job_last_run_timestamp_seconds", dimensions: [("job", job.name)]).record(now.timeIntervalSince1970)
        }
        let purposes = Dictionary(jobs.map { ($0.name, $0.purpose) }, uniquingKeysWith: { a, _ in a })
        var entries: [OutboxEntry] = []
        var planned: [PlannedEvent] = []
        for e in events {
            switch e.kind {
            case .skip:
                continue
            case .expire:
                result.expired += try await store.expire(orderIds: e.orderIds, at: e.at, now: now)
            case .message:
                guard let entry = OutboxEntry(e, priority: purposes[e.job]?.sendingPriority ?? 0) else { continue }
                entries.append(entry)
                planned.append(e)
            }
        }
        for (e, added) in zip(planned, try await outbox.enqueue(entries, now: now)) where added {
            guard e.heldOut == nil else {
                Counter(label: "carecron_messages_held_out_total", dimensions: [("job", e.job)]).increment()
                continue
            }
            result.planned += 1
            Counter(label: "carecron_messages_planned_total", dimensions: [("job", e.job), ("channel", e.channel?.rawValue ?? "")]).increment()
        }
        return result
    }

}


extension OutboxEntry {
    /// A planned message as the outbox keeps it: its first rendering is sent, the others are its fallbacks.
    init?(_ e: PlannedEvent, priority: Int, paused: Bool = false) {
        guard let channel = e.channel, let to = e.to, let text = e.text else { return nil }
        var first = Rendering(channel: channel.rawValue, to: to, subject: e.subject, text: text, params: e.params, templateId: e.templateId,
                              html: e.html)
        first.awaitReceipt = e.awaitReceipt
        self.init(keys: e.keys, job: e.job, customerId: e.customerId, orderIds: e.orderIds, reminder: e.reminder,
                  renderings: [first] + e.fallbacks, dueAt: e.at, priority: priority, campaign: e.campaign, expiresAt: e.expiresAt,
                  paused: paused)
        heldOut = e.heldOut?.description
        variant = e.variant
    }
}

/// The future part of the service's last plan, and what it was made from.
public struct PlanMemo: Sendable {
    var pending: [PlannedEvent]
    let validUntil: Date
    let version: Int
}
