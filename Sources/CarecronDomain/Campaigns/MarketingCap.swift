import Foundation

/// The per-recipient advertising cap as it applies to messages that give way (DOMAIN.md §6:
/// at most `cap` advertising messages per customer in any 24 h). One rule for the planner and
/// for the service's campaign step, which checks it against the outbox and the plan.
public enum MarketingCap {
    /// Whether a message at `t` still fits: fewer than `cap` others in the 24 h before it, and in the 24 h after it.
    public static func allowsYielding(at t: Date, others: [Date], cap: Int) -> Bool {
        var before = 0, after = 0
        for o in others {
            if o > t.addingTimeInterval(-86_400) && o <= t { before += 1 }
            if o >= t && o < t.addingTimeInterval(86_400) { after += 1 }
        }
        return before < cap && after < cap
    }

    public static func yieldedReason(_ cap: Int) -> Sentence {
        Sentence("skip.cap_yielded", ["cap": .number(cap)])
    }
}
