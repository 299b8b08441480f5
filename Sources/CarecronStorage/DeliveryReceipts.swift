import Foundation

/// What a provider later says of a message it accepted: it reached the customer's phone (or
/// inbox), or it did not. Matched to the outbox row by the sender's name and the provider's
/// message id stored at sending (issue 27).
public struct DeliveryReceipt: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case delivered, undelivered
    }

    /// How the provider names the message: its own id (stored at sending), or carecron's
    /// idempotency key (the webhook sender's receivers have it in the request).
    public enum Reference: Sendable, Equatable {
        case providerId(String)
        case idempotencyKey(String)
    }

    /// The sender's name in config.json (its endpoint's NAME).
    public let sender: String
    public let reference: Reference
    public let status: Status
    /// When the provider says it happened (or when the receipt came, if it does not say).
    public let at: Date
    /// The provider's own words for a failure, kept for the record.
    public let reason: String?

    public init(sender: String, reference: Reference, status: Status, at: Date, reason: String? = nil) {
        self.sender = sender
        self.reference = reference
        self.status = status
        self.at = at
        self.reason = reason
    }
}

/// What recording a receipt did.
public enum ReceiptOutcome: Sendable, Equatable {
    /// The message's delivery is now this receipt's; `channel` is the one it went by.
    case recorded(messageId: Int64, channel: String)
    /// Already known (a provider's retry): nothing changed.
    case unchanged(messageId: Int64)
    /// No message of this sender has this provider id (logged, answered 200).
    case unknown
}

/// Receipts onto the outbox: idempotent (providers retry), and `delivered` is final — a late
/// "undelivered" for a message already delivered changes nothing. A message sent on a channel
/// with a fallback waits for its receipt until `receipt_due_at`: an `undelivered` one makes it
/// due at once, a `delivered` one ends the wait.
public protocol DeliveryReceiptStore: Sendable {
    /// Several receipts in one transaction (the HTTP server groups those that arrive together),
    /// each outcome in the order given.
    func record(_ receipts: [DeliveryReceipt], now: Date) async throws -> [ReceiptOutcome]
    /// Receipts recorded per channel since the store began (`status`), kept as counts.
    func deliveryCounts() async throws -> [String: [DeliveryReceipt.Status: Int]]
    /// Sent messages whose receipt did not say `delivered` in time (or said `undelivered`):
    /// the oldest wait first.
    func awaitingFallback(dueBy now: Date, limit: Int) async throws -> [OutboxMessage]
    /// Plans a message not delivered on its channel again on its next one, to go at `at`;
    /// false when it is no longer waiting (delivered meanwhile, already fallen back).
    func fallBackUndelivered(_ m: OutboxMessage, reason: String, at: Date, now: Date) async throws -> Bool
    /// The earliest end of a wait for a receipt, for the scheduler's sleep.
    func nextReceiptDue() async throws -> Date?
}

extension DeliveryReceipt.Reference {
    /// The outbox column it is matched on, and its value.
    public var column: (name: String, value: String) {
        switch self {
        case .providerId(let id): ("provider_message_id", id)
        case .idempotencyKey(let key): ("idempotency_key", key)
        }
    }
}

extension DeliveryReceipt.Status {
    /// Whether a message whose delivery is `current` takes this status.
    public func replaces(_ current: DeliveryReceipt.Status?) -> Bool {
        switch current {
        case nil: true
        case .undelivered?: self == .delivered
        case .delivered?: false
        }
    }
}

extension DeliveryReceiptStore {
    public func record(_ receipt: DeliveryReceipt, now: Date) async throws -> ReceiptOutcome {
        try await record([receipt], now: now)[0]
    }
}

/// One cell of the receipts' counts per channel and status, and how a recorded receipt moves them.
public struct ReceiptCountChange: Hashable, Sendable {
    public let channel: String
    public let status: String

    public struct Move: Sendable {
        public let channel: String
        public let from: DeliveryReceipt.Status?
        public let to: DeliveryReceipt.Status

        public init(channel: String, from: DeliveryReceipt.Status?, to: DeliveryReceipt.Status) {
            self.channel = channel
            self.from = from
            self.to = to
        }

        /// +1 where it lands, −1 where it was.
        public var deltas: [(ReceiptCountChange, Int)] {
            [(ReceiptCountChange(channel: channel, status: to.rawValue), 1)]
                + (from.map { [(ReceiptCountChange(channel: channel, status: $0.rawValue), -1)] } ?? [])
        }
    }
}
