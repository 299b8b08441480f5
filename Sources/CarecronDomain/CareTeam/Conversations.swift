import Foundation

/// What opened a conversation with the care team (DOMAIN.md §10).
public enum ConversationKind: String, Sendable, CaseIterable {
    /// A customer's reply to a message that was neither an opt-out nor a survey's score.
    case reply
    /// A complaint, from the hotline, an agent's call or the shop's systems: the customer's
    /// advertising pauses until it is resolved.
    case complaint
    /// Feedback (a suggestion, a compliment): followed up like a reply.
    case feedback
}

/// What a complaint or a piece of feedback is about.
public enum FeedbackCategory: String, Sendable, CaseIterable {
    case product, delivery, payment, service, other
}

/// Where a conversation stands.
public enum ConversationState: String, Sendable, CaseIterable {
    /// Waiting for the care team's first answer (or the customer wrote again).
    case open
    /// Answered, not resolved yet.
    case answered
    case resolved
}

/// The handbook's response times and the conversations' windows (`"conversations"` in config.json).
public struct ConversationPolicy: Sendable, Equatable {
    /// How soon a conversation must be answered, by the channel it came on (002 III.1: chat and
    /// social within minutes, email within 24 hours, the phone at once).
    public var respondWithin: [String: TimeSpan]
    /// Within this long after the customer's last message, an answer goes at once, quiet hours
    /// or not: they are waiting for it. Later, it waits for the quiet hours to end.
    public var answerWindow: TimeSpan
    /// A customer who writes again this soon after their conversation was resolved reopens it:
    /// it was not resolved at the first contact.
    public var reopenWithin: TimeSpan

    public static let handbook: [String: TimeSpan] = [
        "zalo": .minutes(15), "sms": .minutes(15), "webhook": .minutes(15), "email": .hours(24), "call": .minutes(0), "hotline": .minutes(0),
    ]
    /// For a channel the handbook does not name.
    public static let otherwise = TimeSpan.hours(1)

    public init(respondWithin: [String: TimeSpan] = ConversationPolicy.handbook, answerWindow: TimeSpan = .hours(24),
                reopenWithin: TimeSpan = .days(7)) {
        self.respondWithin = respondWithin
        self.answerWindow = answerWindow
        self.reopenWithin = reopenWithin
    }

    /// When a conversation opened at `t` on `channel` must have its first answer: the channel's
    /// time counted from when the care team is at work (a message at midnight is due in the
    /// morning, not overdue all night).
    public func due(channel: String, openedAt t: Date, roster: AgentRoster, clock: ShopClock) -> Date {
        let within = respondWithin[channel] ?? Self.otherwise
        let start = roster.agents.compactMap { $0.nextAtWork(atOrAfter: t, clock: clock) }.min() ?? t
        return start.addingTimeInterval(within.interval)
    }

    /// When an answer written at `now` goes: at once within the window of the customer's last
    /// message, else at the first instant a care message may.
    public func answerTime(now: Date, lastFromCustomer: Date?, policy: CarePolicy) -> Date {
        if let last = lastFromCustomer, now.timeIntervalSince(last) <= answerWindow.interval { return now }
        return policy.nextAllowed(.care, atOrAfter: now)
    }
}

/// A conversation as the handbook's measures need it.
public struct ConversationFacts: Sendable, Equatable {
    public var openedAt: Date
    public var firstResponseAt: Date?
    public var resolvedAt: Date?
    /// How many times the customer wrote (or came back) in it.
    public var contacts: Int
    /// Reopened after it was resolved.
    public var cameBack: Bool

    public init(openedAt: Date, firstResponseAt: Date?, resolvedAt: Date?, contacts: Int, cameBack: Bool) {
        self.openedAt = openedAt
        self.firstResponseAt = firstResponseAt
        self.resolvedAt = resolvedAt
        self.contacts = contacts
        self.cameBack = cameBack
    }

    /// Resolved without the customer having to come back (002 §V): they wrote once, and it stayed resolved.
    public var resolvedAtFirstContact: Bool { resolvedAt != nil && contacts <= 1 && !cameBack }
}

/// The handbook's response measures over a period's conversations (DOMAIN.md §9).
public enum ResponseMeasures {
    /// Average response time: the mean time from a conversation's opening to its first answer,
    /// over the conversations opened in the period and answered; nil when none was.
    public static func averageResponse(_ all: [ConversationFacts]) -> (seconds: Double?, answered: Int) {
        let waits = all.compactMap { c in c.firstResponseAt.map { max(0, $0.timeIntervalSince(c.openedAt)) } }
        return (waits.isEmpty ? nil : waits.reduce(0, +) / Double(waits.count), waits.count)
    }

    /// First-contact resolution: the share of the period's resolved conversations resolved
    /// without the customer coming back; nil when none was resolved.
    public static func firstContactResolution(_ all: [ConversationFacts]) -> (share: Double?, resolved: Int) {
        let resolved = all.filter { $0.resolvedAt != nil }
        return (resolved.isEmpty ? nil : Double(resolved.filter(\.resolvedAtFirstContact).count) / Double(resolved.count), resolved.count)
    }
}
