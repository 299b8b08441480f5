import Foundation

/// Where a message of the outbox stands. Every change of state is an `OutboxTransition`: both
/// stores write their `UPDATE`s from that type's guards, so a new state (a receipt's
/// `delivered`) is one case here, one in the transitions that reach or leave it, and the
/// `CHECK` of the migration that stores it; the compiler points at every `switch` to extend.
public enum OutboxState: String, Sendable, CaseIterable {
    case planned, sending, sent, failed, dead, cancelled
    /// Held with its campaign (`carecron campaign pause`): not sent until resumed.
    case paused

    /// Nothing more will happen to it but the retention rule's purge.
    public var isFinished: Bool {
        switch self {
        case .sent, .dead, .cancelled: return true
        case .planned, .sending, .failed, .paused: return false
        }
    }

    /// Whether it has reached, or may still reach, the customer (what a frequency cap counts).
    public var mayReachCustomer: Bool {
        switch self {
        case .planned, .sending, .sent, .failed, .paused: return true
        case .dead, .cancelled: return false
        }
    }

    /// The SQL condition of a message that has reached, or may still reach, the customer.
    public static var reachingCustomerCondition: String { "NOT (\(sqlCondition(allCases.filter { !$0.mayReachCustomer })))" }

    /// The state as the stores' `state` column holds it, quoted for SQL.
    public var sql: String { "'\(rawValue)'" }

    /// `state IN ('planned', 'failed')`: the states of `states` as an SQL condition on `column`,
    /// in their given order (a partial index is matched by the text of its condition).
    public static func sqlCondition(_ states: [OutboxState], column: String = "state") -> String {
        states.count == 1 ? "\(column) = \(states[0].sql)" : "\(column) IN (\(states.map(\.sql).joined(separator: ", ")))"
    }
}

/// Every way a message changes state, where from, where to, and why. The stores guard each
/// `UPDATE` with `sourceCondition`, so a change the machine forbids changes no row. What they say
/// of it: an outcome asked for one message by id (`markSent`, `markRetry`, `markDead`,
/// `markCancelled`) is refused with `OutboxTransitionRefused`; a group of outcomes (`record`)
/// passes a stale one over (a later one was written, or a journal replays one applied already);
/// the dispatcher's hand-back and fallback change only a message this process is still sending
/// (a fallback says false otherwise); `drop` and `retry` say whether, or how many, they changed.
public enum OutboxTransition: String, Sendable, CaseIterable {
    /// A dispatcher takes a due message to send it, one attempt more.
    case claim
    /// On a shared database, a node takes over a message whose lease lapsed (its node stopped):
    /// the outcome of the first send is unknown, and it goes out again with the same key.
    case takeOver
    /// Which sender takes it on its current channel (no change of state).
    case noteSender
    /// The provider accepted it.
    case sent
    /// A temporary failure: tried again later.
    case retryLater
    /// A permanent failure, or the attempts ran out.
    case dead
    /// No longer wanted when it was about to go (paid meanwhile, opted out, past its deadline).
    case cancelAtSending
    /// Handed back unsent for a reason of carecron's own (sender unavailable, stopping): the
    /// attempt is not counted.
    case handBack
    /// A permanent failure on this channel: planned again on the next one.
    case fallBack
    /// Sent, but its provider reported it undelivered, or no receipt came in the job's
    /// `fallbackAfter`: planned again on the next channel.
    case notDelivered
    /// Its customer opted out (a reply "TC"): what the opt-out forbids and is not sent yet is dropped.
    case optOut
    /// carecron stopped while sending it: the outcome is unknown, so it is tried again with the
    /// same idempotency key.
    case recover
    /// Its campaign is paused.
    case pause
    /// Its campaign is resumed.
    case resume
    /// Its campaign is cancelled: what was not sent is dropped.
    case cancelWithCampaign
    /// Put back in line by hand (`outbox retry`, the console).
    case retryByHand
    /// Given up by hand before it was sent (`outbox drop`, the console).
    case drop
    /// The retention rule removes a finished message (its key and counts stay).
    case purge

    /// The states it leaves from, in the order the stores' indexes name them.
    public var from: [OutboxState] {
        switch self {
        case .claim: return [.planned, .failed]
        case .takeOver, .noteSender, .sent, .retryLater, .dead, .cancelAtSending, .handBack, .fallBack, .recover: return [.sending]
        case .pause: return [.planned, .failed]
        case .notDelivered: return [.sent]
        case .optOut: return [.planned, .failed, .paused]
        case .resume: return [.paused]
        case .cancelWithCampaign: return [.planned, .failed, .paused]
        case .retryByHand: return [.dead, .failed, .cancelled]
        case .drop: return [.planned, .failed, .dead]
        case .purge: return [.sent, .cancelled, .dead]
        }
    }

    /// The states it may lead to; none for a purge (the row is gone).
    public var to: [OutboxState] {
        switch self {
        case .claim, .takeOver, .noteSender: return [.sending]
        case .sent: return [.sent]
        case .retryLater, .recover: return [.failed]
        case .dead: return [.dead]
        case .cancelAtSending, .cancelWithCampaign, .drop, .optOut: return [.cancelled]
        case .handBack: return [.planned, .failed]
        case .fallBack, .notDelivered, .resume, .retryByHand: return [.planned]
        case .pause: return [.paused]
        case .purge: return []
        }
    }

    public func allows(from state: OutboxState) -> Bool { from.contains(state) }

    /// Where a hand-back leads, as SQL: as the message was before its claim (the attempt not
    /// counted), planned if it was never tried, else failed.
    public static let handBackTargetSQL = "CASE WHEN attempts <= 1 THEN \(handBack.to[0].sql) ELSE \(handBack.to[1].sql) END"

    /// The guard every store puts on this change: `state IN (…)` of the states it leaves from.
    /// Built once: every outcome a dispatcher records asks for it.
    public var sourceCondition: String { Self.conditions[self]! }

    private static let conditions = Dictionary(uniqueKeysWithValues: allCases.map { ($0, OutboxState.sqlCondition($0.from)) })

    /// The one state it leads to, quoted for SQL (a transition with several computes its own).
    public var targetSQL: String {
        precondition(to.count == 1, "\(self) leads to \(to.count) states")
        return to[0].sql
    }

    /// Nil when a message in `state` may take this transition; else why not.
    public func refusal(of id: Int64, in state: OutboxState?) -> OutboxTransitionRefused? {
        if let state, allows(from: state) { return nil }
        return OutboxTransitionRefused(transition: self, message: id, state: state)
    }
}

/// A change of state the machine forbids (a sent message marked dead, a planned one marked
/// sent), or asked of a message that does not exist.
public struct OutboxTransitionRefused: Error, Equatable, Sendable, CustomStringConvertible {
    public let transition: OutboxTransition
    public let message: Int64
    /// Where the message stands; nil when there is no such message.
    public let state: OutboxState?

    public init(transition: OutboxTransition, message: Int64, state: OutboxState?) {
        self.transition = transition
        self.message = message
        self.state = state
    }

    public var description: String {
        guard let state else { return "message \(message): no such message (\(transition.rawValue))" }
        return "message \(message) is \(state.rawValue): \(transition.rawValue) leaves only from "
            + transition.from.map(\.rawValue).joined(separator: ", ")
    }
}

extension OutboxOutcome {
    /// The change of state this outcome records.
    public var transition: OutboxTransition {
        switch self {
        case .sender: return .noteSender
        case .sent: return .sent
        case .retry: return .retryLater
        case .dead: return .dead
        case .cancelled: return .cancelAtSending
        }
    }
}
