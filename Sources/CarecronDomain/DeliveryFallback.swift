import Foundation

/// Falling back on non-delivery (issue 27): a job's channel may wait for its provider's
/// delivery receipt (`"fallbackAfter"`); when the receipt says undelivered, or none comes in
/// that time, the job's next channel sends the same occurrence. The occurrence stays one
/// outbox row with one key — the channel it finally went by is the row's — so the customer
/// never has it from both channels through carecron's own doing. The next channel's message
/// goes at the first instant the job's purpose allows (quiet hours, the advertising hours),
/// as any message does.
public enum DeliveryFallback {
    /// What a job may ask: shorter than a minute is before most receipts arrive; longer than
    /// three days and the second message is no longer the same occasion.
    public static let allowedWait = TimeSpan.minutes(1)...TimeSpan.days(3)

    /// How long a message the job sends on `channel` waits for its receipt; nil when it does
    /// not (the job says nothing, or nothing follows `channel`).
    public static func wait(_ job: JobDefinition, on channel: ChannelKind) -> TimeSpan? {
        guard let i = job.channels.firstIndex(of: channel), i < job.channels.count - 1 else { return nil }
        return job.fallbackAfter[channel] ?? (channel == .call ? callWait : nil)
    }

    /// How long a call nobody made waits before the next channel sends the message: a day,
    /// unless the job says otherwise. Unanswered calls fall back sooner, after their tries.
    public static let callWait = TimeSpan.days(1)

    /// When the next channel's message may go, the wait being over at `now`.
    public static func sendingTime(_ job: JobDefinition, policy: CarePolicy, now: Date) -> Date {
        policy.nextAllowed(job.purpose, atOrAfter: now)
    }

    /// What `simulate --explain` and the console's plan say of a message that will wait.
    public static func note(channel: ChannelKind, wait: TimeSpan, next: ChannelKind) -> Sentence {
        Sentence("plan.fallback_after", ["channel": .text(channel.rawValue), "wait": .span(wait), "next": .text(next.rawValue)])
    }

    /// Why the outbox row changed channel (kept as its last error, in English).
    public static func reason(channel: String, next: String, undelivered reason: String?, wait: TimeSpan?) -> Sentence {
        if let wait, reason == nil {
            return Sentence("fallback.no_receipt", ["channel": .text(channel), "wait": .span(wait), "next": .text(next)])
        }
        return Sentence("fallback.undelivered", ["channel": .text(channel), "reason": .text(reason ?? "-"), "next": .text(next)])
    }
}
