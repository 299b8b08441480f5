import Foundation

/// What a job says of its calls (`"call"` in its file): which of its occurrences are worth a
/// person's call rather than a message, where its list puts them, and whether the agent asks
/// for a rating. Without it, every occurrence the `call` channel can reach becomes a call.
public struct CallSettings: Sendable, Equatable {
    /// Only for orders of at least this total (a COD confirmation by phone for big orders).
    public var minAmount: Int?
    /// Only for customers of these tiers (the check-in of Gold customers).
    public var tiers: [String]?
    /// Within a purpose, lower comes first on an agent's list (1…9; 5 unless said).
    public var priority: Int
    /// The agent asks the customer for a rating of 1–5 and records it with the outcome.
    public var askRating: Bool

    public static let defaultPriority = 5

    public init(minAmount: Int? = nil, tiers: [String]? = nil, priority: Int = CallSettings.defaultPriority, askRating: Bool = false) {
        self.minAmount = minAmount
        self.tiers = tiers
        self.priority = priority
        self.askRating = askRating
    }

    /// Whether an occurrence for this customer (of `tier`) about orders totalling `amount` is a call.
    public func applies(tier: String?, amount: Int) -> Bool {
        if let minAmount, amount < minAmount { return false }
        if let tiers, !tiers.contains(where: { $0 == tier }) { return false }
        return true
    }
}

/// How the care team works through calls (`"calls"` in config.json).
public struct CallPolicy: Sendable, Equatable {
    /// Calls made without an answer before the job's next channel sends the message instead.
    public var tries: Int
    /// How long after an unanswered call the next try comes, at the earliest.
    public var retryAfter: TimeSpan

    public init(tries: Int = 3, retryAfter: TimeSpan = .hours(2)) {
        self.tries = tries
        self.retryAfter = retryAfter
    }

    /// When a call not answered at `now` is tried again: `retryAfter` later, moved into the
    /// agent's working hours and out of quiet hours (calling hours).
    public func nextTry(after now: Date, agent: Agent?, purpose: Purpose, policy: CarePolicy) -> Date {
        var t = now.addingTimeInterval(retryAfter.interval)
        for _ in 0..<6 {
            let allowed = policy.nextAllowed(purpose, atOrAfter: t)
            let working = agent?.nextAtWork(atOrAfter: allowed, clock: policy.clock) ?? allowed
            if working == t { break }
            t = working
        }
        return t
    }
}

/// What the agent says happened when they called: the buttons of *Cuộc gọi hôm nay*.
public enum CallResult: String, Sendable, CaseIterable {
    /// They talked (a note, and a rating where the job asks).
    case reached
    /// Nobody answered: tried again at the next working slot, up to the tries.
    case noAnswer = "no_answer"
    /// The number is not the customer's: the job's next channel.
    case wrongNumber = "wrong_number"
    /// The customer asked to be called at another time.
    case callBack = "call_back"
    /// They talked and the customer complained: a complaint is opened.
    case complaint
}

/// What a call's outcome does to the call and to its message in the outbox.
public enum CallEffect: Sendable, Equatable {
    /// Finished: the outbox row is delivered (the customer was reached).
    case reached
    /// Finished without reaching the customer: undelivered, so the job's next channel sends.
    case unreachable(reason: String)
    /// Still open: tried again at this instant.
    case tryAgain(at: Date)

    /// The effect of `result` on a call tried `tries` times before this one.
    public static func of(_ result: CallResult, tries: Int, callBackAt: Date?, now: Date, agent: Agent?, purpose: Purpose,
                          calls: CallPolicy, policy: CarePolicy) -> CallEffect {
        switch result {
        case .reached, .complaint:
            return .reached
        case .wrongNumber:
            return .unreachable(reason: "wrong number")
        case .callBack:
            return .tryAgain(at: max(callBackAt ?? now, now))
        case .noAnswer:
            if tries + 1 >= calls.tries { return .unreachable(reason: "no answer after \(tries + 1) calls") }
            return .tryAgain(at: calls.nextTry(after: now, agent: agent, purpose: purpose, policy: policy))
        }
    }
}

/// The order of an agent's list: transactional first, then by the job's call priority, the
/// orders' amount (biggest first), then the oldest due.
public struct CallRank: Sendable, Comparable {
    public var purpose: Int
    public var jobPriority: Int
    public var amount: Int
    public var due: Date

    public init(purpose: Int, jobPriority: Int, amount: Int, due: Date) {
        self.purpose = purpose
        self.jobPriority = jobPriority
        self.amount = amount
        self.due = due
    }

    public static func < (a: CallRank, b: CallRank) -> Bool {
        (a.purpose, a.jobPriority, -a.amount, a.due) < (b.purpose, b.jobPriority, -b.amount, b.due)
    }
}
