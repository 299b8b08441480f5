import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation

/// What `carecron campaign …` and `/v1/campaigns/NAME` do: find a campaign's occasion at hand,
/// preview it, count it, pause, resume or cancel it. One place for the CLI and the API.
public struct CampaignControl: Sendable {
    public let store: any CareStore
    public let config: ShopConfig
    public let jobs: [JobDefinition]

    public init(store: any CareStore, config: ShopConfig, jobs: [JobDefinition]) {
        self.store = store
        self.config = config
        self.jobs = jobs
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unknown(String, suggestion: String?)
        case notACampaign(String, JobType)
        case noOccasion(String)

        public var description: String {
            switch self {
            case .unknown(let name, let s): return "no job named \"\(name)\" in jobs/\(s.map { " (did you mean \($0)?)" } ?? "")"
            case .notACampaign(let name, let type): return "job \"\(name)\" is a \(type.rawValue) job, not a campaign"
            case .noOccasion(let name): return "campaign \"\(name)\" has no occasion ahead: its dates are past"
            }
        }
    }

    /// The campaign job by name.
    public func campaign(_ name: String) throws -> (JobDefinition, any AudienceSending) {
        guard let job = jobs.first(where: { $0.name == name }) else {
            throw Failure.unknown(name, suggestion: Suggest.closest(to: name, among: jobs.filter { $0.rules.audienceSending != nil }.map(\.name)))
        }
        guard let rules = job.rules.audienceSending else { throw Failure.notACampaign(name, job.type) }
        return (job, rules)
    }

    /// The occasion under way at `at`, else the next one (within ten years).
    public func occasion(_ name: String, at: Date) throws -> (JobDefinition, any AudienceSending, CampaignOccurrence) {
        let (job, rules) = try campaign(name)
        guard let o = rules.occurrences(job, from: at, to: at.addingTimeInterval(3653 * 86_400), clock: config.clock).first else {
            throw Failure.noOccasion(name)
        }
        return (job, rules, o)
    }

    var step: CampaignStep { CampaignStep(store: store, config: config, jobs: jobs) }

    // MARK: - Preview

    public struct Preview: Sendable {
        public var occurrence: CampaignOccurrence
        public var audience: AudienceCount
        /// Messages by the channel they go out on.
        public var byChannel: [ChannelKind: Int] = [:]
        /// Messages by template variant (0-based).
        public var byVariant: [Int: Int] = [:]
        public var skipped: [SkipCategory: Int] = [:]
        public var smsSegments = 0
        /// The estimated cost by channel, in the shop's currency, where config.json has a price.
        public var cost: [ChannelKind: Int] = [:]
        /// The first messages, rendered.
        public var samples: [PlannedEvent] = []

        public var messages: Int { byChannel.values.reduce(0, +) }
        public var totalCost: Int { cost.values.reduce(0, +) }
    }

    /// What the occasion at hand would send, as the service would write it at its time: nothing is written.
    public func preview(_ name: String, at: Date, samples: Int = 3) async throws -> Preview {
        let (job, rules, o) = try occasion(name, at: at)
        let request = step.request(job, rules, o)
        var p = Preview(occurrence: o, audience: try await store.audienceCount(request))
        let base = max(o.start, at)
        try await step.pages(job, rules, o, base: base, total: p.audience.members, after: nil, firstIndex: 0, now: at) { _, page in
            for m in page.messages {
                guard let channel = m.channel else { continue }
                p.byChannel[channel, default: 0] += 1
                p.byVariant[m.variant ?? 0, default: 0] += 1
                if channel == .sms, let text = m.text { p.smsSegments += MessageRules.smsSegments(text).segments }
                if p.samples.count < samples { p.samples.append(m) }
            }
            for (category, n) in page.skipped { p.skipped[category, default: 0] += n }
            return true
        }
        for (channel, n) in p.byChannel {
            guard let price = config.prices[channel] else { continue }
            p.cost[channel] = price * (channel == .sms ? p.smsSegments : n)
        }
        return p
    }

    // MARK: - Status and control

    /// The occasion's run and its messages by state.
    public func status(_ name: String, at: Date) async throws -> (CampaignOccurrence, CampaignStatus) {
        let (_, _, o) = try occasion(name, at: at)
        return (o, try await store.campaignStatus(o.id))
    }

    /// `by`: who acts, as the audit log names them (a console user, `cli:USER`, `api`); every
    /// change is recorded there, wherever it came from.
    public func pause(_ name: String, now: Date, by actor: String) async throws -> (CampaignOccurrence, CampaignRun) {
        let (o, run) = try await storedOrNewRun(name, now: now)
        let paused = try await store.pauseCampaign(run, now: now)
        try await audit(paused.state == .paused ? "campaign pause" : "campaign pause refused", o, by: actor, now: now)
        return (o, paused)
    }

    /// The run after resuming (nil: paused before it began, it now begins at its time as if never paused).
    public func resume(_ name: String, now: Date, by actor: String) async throws -> (CampaignOccurrence, CampaignRun?) {
        let (_, _, o) = try occasion(name, at: now)
        let run = try await store.resumeCampaign(o.id, now: now)
        try await audit(run == nil || run?.state == .writing ? "campaign resume" : "campaign resume refused", o, by: actor, now: now)
        return (o, run)
    }

    /// How many unsent messages were dropped.
    public func cancel(_ name: String, now: Date, by actor: String) async throws -> (CampaignOccurrence, Int) {
        let (o, run) = try await storedOrNewRun(name, now: now)
        let dropped = try await store.cancelCampaign(run, now: now)
        try await audit("campaign cancel", o, by: actor, now: now)
        return (o, dropped)
    }

    func audit(_ action: String, _ o: CampaignOccurrence, by actor: String, now: Date) async throws {
        try await store.record(AuditEntry(at: now, user: actor, action: action, subject: "campaign \(o.job)",
                                          detail: Sentence("audit.occasion", ["occasion": .text(o.id)]).stored))
    }

    /// The occasion's run, or a new one for acting on it ahead of its start.
    func storedOrNewRun(_ name: String, now: Date) async throws -> (CampaignOccurrence, CampaignRun) {
        let (job, _, o) = try occasion(name, at: now)
        return (o, try await store.campaignRun(o.id) ?? CampaignRun(id: o.id, job: job.name, occasion: o.occasion.description, state: .writing))
    }
}

/// Where a campaign stands, as people say it (the console's campaigns and jobs pages).
public enum CampaignState: String, Sendable, CaseIterable {
    case scheduled, sending, paused, done, cancelled, disabled

    public var sentence: Sentence { Sentence("campaign_state.\(rawValue)") }
}

extension CampaignControl {
    /// A campaign's occasion at hand (under way, else the next; nil when its dates are past),
    /// its state and its figures.
    public func standing(_ job: JobDefinition, at now: Date) async throws -> (CampaignOccurrence?, CampaignState, CampaignStatus?) {
        guard let (_, _, o) = try? occasion(job.name, at: now) else { return (nil, .done, nil) }
        let status = try await store.campaignStatus(o.id)
        switch status.run?.state {
        case .paused?: return (o, .paused, status)
        case .cancelled?: return (o, .cancelled, status)
        default: break
        }
        if !job.enabled { return (o, .disabled, status) }
        return (o, now < o.start ? .scheduled : .sending, status)
    }
}

extension CampaignControl {
    /// Who an audience filter takes at `at`, and who matches but opted out: the campaign
    /// form's live count (a count query, not a preview: answered within a second on a million).
    public func count(_ filter: AudienceFilter, purpose: Purpose, at: Date, channels: [ChannelKind]? = nil) async throws -> AudienceCount {
        try await store.audienceCount(AudienceRequest(key: "count", filter: filter, at: at, purpose: purpose,
                                                      entryTier: config.policy.tier(forSpend: 0)?.name, channels: channels))
    }

    /// The audience of a campaign's occasion at hand.
    public func count(_ name: String, at: Date) async throws -> (CampaignOccurrence, AudienceCount) {
        let (job, rules, o) = try occasion(name, at: at)
        return (o, try await count(rules.audience, purpose: job.purpose, at: o.start))
    }
}
