import Foundation

/// One page of a campaign's audience turned into messages: what the running service writes to
/// the outbox in one transaction, and what it counts for `campaign status`.
public struct CampaignPage: Sendable {
    /// Composed, on their first reachable channel (with the fallbacks when the planner renders them).
    public var messages: [PlannedEvent] = []
    /// Customers of the page who get nothing, by why.
    public var skipped: [SkipCategory: Int] = [:]
    /// The same, one event each with its reason, when the planner explains itself (preview).
    public var skips: [PlannedEvent] = []
}

/// A campaign occasion stopped by hand.
public enum CampaignHalt: String, Sendable {
    case paused, cancelled
}

/// Why a candidate gets nothing, counted.
public enum SkipCategory: String, Sendable, CaseIterable, Comparable {
    case optedOut = "opted_out", cap, noAddress = "no_address", late, noVariant = "no_variant", quietHours = "quiet_hours", other

    /// From the planner's reason, by its catalogue code.
    init?(reason: Sentence) {
        switch reason.code {
        case "skip.opted_out_all", "skip.opted_out_marketing": self = .optedOut
        case "skip.cap_moved", "skip.cap_dropped", "skip.cap_yielded": self = .cap
        case "skip.no_address": self = .noAddress
        case "skip.campaign_too_late": self = .late
        case "skip.no_variant_for_tier": self = .noVariant
        case "skip.quiet_moved": return nil   // moved, still sent
        case "skip.quiet_dropped": self = .quietHours
        default: self = .other
        }
    }

    public static func < (a: SkipCategory, b: SkipCategory) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension CarePlanner {
    /// The messages of one page of an occasion's audience (`members` in id order, the first
    /// being the `firstIndex`-th of `total`), paced from `base`, under the cap against the
    /// customers' other advertising (`others`: instants by customer, from the outbox and the plan).
    /// The same rules as `plan` gives a campaign, a page at a time.
    public func campaignPage(_ job: JobDefinition, _ o: CampaignOccurrence, base: Date, total: Int, firstIndex: Int,
                             members: [CustomerSnapshot], others: [String: [Date]]) -> CampaignPage {
        guard let rules = job.rules.audienceSending else { return CampaignPage() }
        let decisions = Decisions()
        let span = PlanningSpan(planner: self, input: PlanningInput(customers: [:], orders: []), from: base, to: o.deadline,
                                start: base, downtime: Downtime(), decisions: decisions)
        var page = CampaignPage()
        var candidates = rules.events(job, o, base: base, total: total, firstIndex: firstIndex, members: members, span: span)
        if job.purpose == .marketing {
            let cap = policy.marketingDailyCap
            candidates = candidates.filter { e in
                if MarketingCap.allowsYielding(at: e.at, others: others[e.customerId] ?? [], cap: cap) { return true }
                decisions.skipped.append(e.skipped(MarketingCap.yieldedReason(cap)))
                return false
            }
        }
        for e in candidates {
            let m = composed(e)
            if m.problem != nil || m.kind == .skip {
                decisions.skipped.append(m.kind == .skip ? m : m.skipped(Sentence("skip.no_address", ["channels": .channels(job.channels)])))
            } else {
                page.messages.append(m)
            }
        }
        for s in decisions.skipped {
            guard let reason = s.because, let category = SkipCategory(reason: reason) else { continue }
            page.skipped[category, default: 0] += 1
            if explain { page.skips.append(s) }
        }
        return page
    }
}
