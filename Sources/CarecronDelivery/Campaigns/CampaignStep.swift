import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import Metrics

/// The running service's campaign step: each campaign occasion whose time has come is written to
/// the outbox a page of its audience at a time, every message at its slot of the spread, so that
/// the dispatcher sends it at the pace the spread sets. The run's cursor moves with each page in
/// the same transaction, so a restart takes up where the outbox stands; the occurrence keys
/// (`campaign:NAME:DATE:CUSTOMER`) make a repeat of a page harmless, whatever changed meanwhile.
public struct CampaignStep: Sendable {
    public let store: any CareStore
    public let config: ShopConfig
    public let jobs: [JobDefinition]
    public var pageSize = 2000

    public init(store: any CareStore, config: ShopConfig, jobs: [JobDefinition]) {
        self.store = store
        self.config = config
        self.jobs = jobs
    }

    public struct Result: Sendable, Equatable {
        /// Messages added to the outbox.
        public var written = 0
        /// When the next occasion begins, for the scheduler's sleep.
        public var nextStart: Date?
    }

    var campaigns: [JobDefinition] { jobs.filter { $0.enabled && $0.rules.audienceSending != nil } }

    /// Writes every occasion under way at `now` (until `keepGoing` says stop).
    public func step(now: Date, keepGoing: @Sendable () -> Bool = { true }, log: Logger? = nil) async throws -> Result {
        var result = Result()
        let clock = config.clock
        for job in campaigns {
            guard let rules = job.rules.audienceSending else { continue }
            for o in rules.occurrences(job, from: now, to: now.addingTimeInterval(1), clock: clock) where o.start <= now {
                let added = try await write(job, rules, o, now: now, keepGoing: keepGoing)
                if added > 0 {
                    result.written += added
                    log?.info("campaign written", metadata: ["campaign": "\(o.id)", "messages": "\(added)"])
                }
            }
            if let next = job.rules.runs(job, after: now, count: 1, clock: clock).first {
                result.nextStart = min(result.nextStart ?? next, next)
            }
        }
        return result
    }

    /// The run of an occurrence, begun at `now` if it has none: its spread starts now when the
    /// service was down at its time, and its audience is counted once, for the pacing.
    public func run(_ job: JobDefinition, _ rules: any AudienceSending, _ o: CampaignOccurrence, now: Date) async throws -> CampaignRun {
        if let run = try await store.campaignRun(o.id) { return run }
        let count = try await store.audienceCount(request(job, rules, o))
        var run = CampaignRun(id: o.id, job: job.name, occasion: o.occasion.description, state: .writing)
        run.baseAt = max(o.start, now)
        run.deadlineAt = o.deadline
        run.audience = count.members
        run.optedOut = count.optedOut
        return try await store.beginCampaignRun(run, now: now)
    }

    func request(_ job: JobDefinition, _ rules: any AudienceSending, _ o: CampaignOccurrence) -> AudienceRequest {
        AudienceRequest(key: o.id, filter: rules.audience, at: o.start, purpose: job.purpose,
                        entryTier: config.policy.tier(forSpend: 0)?.name)
    }

    /// Writes the rest of an occurrence's audience; how many messages it added. A page's write
    /// runs while the next page is read and composed (the two take about as long, on two cores);
    /// the next write waits for it, so pages land in order and a pause stops at a page's end.
    func write(_ job: JobDefinition, _ rules: any AudienceSending, _ o: CampaignOccurrence, now: Date,
               keepGoing: @Sendable () -> Bool) async throws -> Int {
        var run = try await run(job, rules, o, now: now)
        guard run.state == .writing, !run.complete, let base = run.baseAt else { return 0 }
        var added = 0
        var writing: Task<Int?, any Error>?
        // The page in flight's outcome: false when it found the run paused or cancelled meanwhile.
        func landed() async throws -> Bool {
            guard let w = writing else { return true }
            writing = nil
            guard let n = try await w.value else { return false }
            run.planned += n
            added += n
            if n > 0 {
                Counter(label: "carecron_messages_planned_total", dimensions: [("job", job.name), ("channel", job.channels.first?.rawValue ?? "")])
                    .increment(by: Int64(n))
            }
            return true
        }
        do {
            try await pages(job, rules, o, base: base, total: run.audience, after: run.cursor, firstIndex: run.written, now: now) { members, page in
                guard try await landed(), keepGoing() else { return false }
                let entries = page.messages.compactMap { OutboxEntry($0, priority: job.purpose.sendingPriority) }
                run.cursor = members.last?.id ?? run.cursor
                run.written += members.count
                for (category, n) in page.skipped { run.skipped[category.rawValue, default: 0] += n }
                run.complete = members.count < pageSize
                let progress = run, store = store
                writing = Task { try await store.writeCampaignPage(entries, run: progress, now: now) }
                return !run.complete
            }
        } catch {
            // A failure midway still waits for the page in flight, so that no later step races its write.
            _ = try? await writing?.value
            throw error
        }
        _ = try await landed()
        return added
    }

    /// The occurrence's audience after `cursor`, a page at a time, each turned into its messages
    /// (paced from `base` over `total`, under the cap against the customers' other advertising),
    /// until `each` says stop. The last page is shorter than `pageSize` (it may be empty).
    func pages(_ job: JobDefinition, _ rules: any AudienceSending, _ o: CampaignOccurrence, base: Date, total: Int, after cursor: String?,
               firstIndex: Int, now: Date, explain: Bool = false,
               _ each: ([CustomerSnapshot], CampaignPage) async throws -> Bool) async throws {
        var planner = CarePlanner(policy: config.policy, jobs: [job])
        planner.renderFallbacks = true
        planner.explain = explain
        let marketing = job.purpose == .marketing
        let upcoming = marketing ? try await upcomingAdvertising(besides: job, from: now, to: o.deadline.addingTimeInterval(86_400)) : [:]
        let request = request(job, rules, o)
        var cursor = cursor, index = firstIndex
        while true {
            let members = try await store.audience(request, after: cursor, limit: pageSize)
            var others = upcoming
            if marketing, !members.isEmpty {
                let stored = try await store.advertisingTimes(customerIds: members.map(\.id), from: base.addingTimeInterval(-86_400),
                                                             to: o.deadline.addingTimeInterval(86_400), excluding: o.id)
                others.merge(stored) { $0 + $1 }
            }
            let page = planner.campaignPage(job, o, base: base, total: total, firstIndex: index, members: members, others: others)
            guard try await each(members, page), members.count == pageSize else { return }
            cursor = members.last?.id
            index += members.count
        }
    }

    /// The other advertising jobs' messages still to come in [from, to), by customer: the outbox
    /// knows what is already due, the planner what is not yet (a birthday greeting tomorrow
    /// morning keeps this evening's campaign message from the customer when the cap is 1).
    func upcomingAdvertising(besides job: JobDefinition, from: Date, to: Date) async throws -> [String: [Date]] {
        let others = jobs.filter { $0.enabled && $0.purpose == .marketing && $0.rules.audienceSending == nil && $0.name != job.name }
        guard !others.isEmpty else { return [:] }
        let planner = CarePlanner(policy: config.policy, jobs: others)
        let input = try await store.planningInput(for: planner, from: from, to: to, ordersFromPlacement: false)
        var out: [String: [Date]] = [:]
        for e in planner.plan(input, from: from, to: to) where e.kind == .message && e.at > from {
            out[e.customerId, default: []].append(e.at)
        }
        return out
    }
}
