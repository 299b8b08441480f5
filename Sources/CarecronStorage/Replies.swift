import CarecronDomain
import Foundation

/// A customer's answer to a message, as a provider passed it on (`/webhooks/inbound/NAME`).
public struct InboundReply: Sendable, Equatable {
    /// Who wrote: a phone number (E.164) or a Zalo user id.
    public enum From: Sendable, Equatable {
        case phone(String)
        case zaloUser(String)

        public var address: String {
            switch self { case .phone(let p): p; case .zaloUser(let id): id }
        }
    }

    /// The sender's name in config.json (the endpoint's NAME) and its channel.
    public let sender: String
    public let channel: String
    /// The provider's id of the reply: a retry of the same call stores nothing new.
    public let providerId: String?
    public let from: From
    public let text: String
    public let at: Date

    public init(sender: String, channel: String, providerId: String?, from: From, text: String, at: Date) {
        self.sender = sender
        self.channel = channel
        self.providerId = providerId
        self.from = from
        self.text = text
        self.at = at
    }
}

/// A reply as the store keeps it.
public struct StoredReply: Sendable, Equatable {
    public var id: Int64
    public var sender: String
    public var channel: String
    public var from: String
    /// The customer found by the phone or Zalo user id; nil when nobody matched (kept, marked unmatched).
    public var customerId: String?
    public var customerName: String?
    public var text: String
    public var receivedAt: Date
    /// The opt-out the reply asked for, if it was one.
    public var optOut: OptOut?
    /// How many queued messages the opt-out cancelled.
    public var cancelled: Int

    public init(id: Int64, sender: String, channel: String, from: String, customerId: String?, customerName: String?, text: String,
                receivedAt: Date, optOut: OptOut?, cancelled: Int) {
        self.id = id
        self.sender = sender
        self.channel = channel
        self.from = from
        self.customerId = customerId
        self.customerName = customerName
        self.text = text
        self.receivedAt = receivedAt
        self.optOut = optOut
        self.cancelled = cancelled
    }
}

/// What setting an opt-out by hand did.
public struct OptOutChange: Sendable, Equatable {
    public let previous: OptOut
    public let cancelled: Int

    public init(previous: OptOut, cancelled: Int) {
        self.previous = previous
        self.cancelled = cancelled
    }
}

/// What storing a reply did.
public enum ReplyOutcome: Sendable, Equatable {
    case stored(StoredReply)
    /// The provider's retry of a reply stored already: nothing changed.
    case duplicate(StoredReply)

    public var reply: StoredReply {
        switch self { case .stored(let r), .duplicate(let r): r }
    }
}

/// Which queued messages an opt-out cancels: for `marketing`, those of the advertising jobs
/// and every campaign's; for `all`, every one of the customer's.
public struct OptOutScope: Sendable, Equatable {
    public let optOut: OptOut
    public let advertisingJobs: [String]

    public init(_ optOut: OptOut, advertisingJobs: [String]) {
        self.optOut = optOut
        self.advertisingJobs = advertisingJobs
    }

    /// The audit line's detail, kept as a sentence (the console says it in the page's language).
    public func auditDetail(reply text: String, cancelled: Int) -> String {
        Sentence(optOut == .all ? "reply.opted_out_all" : "reply.opted_out_marketing", ["text": .text(text), "cancelled": .number(cancelled)]).stored
    }

    /// The audit line's detail of an opt-out set by hand.
    public func setDetail(previous: OptOut, cancelled: Int) -> String {
        Sentence("audit.opt_out_set", ["from": .word("optout.\(previous.rawValue)"), "to": .word("optout.\(optOut.rawValue)"),
                                        "cancelled": .number(cancelled)]).stored
    }

    /// Why the messages are cancelled, in the outbox's language (English; the console reads it back).
    public var reason: String {
        (optOut == .all ? Sentence("cancel.opted_out_all") : Sentence("cancel.opted_out_marketing")).description
    }
}

/// Customers' replies, and the opt-outs they carry: stored, the customer's opt-out raised
/// (never lowered: "TC QC" after "HUY" leaves them out of everything), the queued messages it
/// forbids cancelled and the audit written, in one transaction, so the next claim on any node
/// sees it.
public protocol ReplyStore: Sendable {
    func record(_ reply: InboundReply, optOut: OptOutScope?, now: Date) async throws -> ReplyOutcome
    /// A person sets the customer's opt-out (the console), up or down; what a stronger one
    /// forbids and is not sent yet is cancelled and the audit says who, in one transaction.
    /// Nil when there is no such customer.
    func setOptOut(customerId: String, to scope: OptOutScope, user: String, now: Date) async throws -> OptOutChange?
    /// The newest first; of one customer when `customerId` is given.
    func replies(customerId: String?, limit: Int) async throws -> [StoredReply]
}
