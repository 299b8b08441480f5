import CarecronDomain
import Foundation

/// A row of the outbox.
public struct OutboxMessage: Sendable {
    public var id: Int64
    public var key: String
    public var job: String
    public var customerId: String?
    public var orderIds: [String]
    public var reminder: Int?
    public var rendering: Rendering
    /// Renderings for the job's next channels, tried in order after a permanent failure.
    public var fallbacks: [Rendering]
    public var state: OutboxState
    public var attempts: Int
    public var dueAt: Date
    public var nextAttemptAt: Date
    public var lastError: String?
    public var providerMessageId: String?
    public var sentAt: Date?
    /// 0 transactional, 1 care, 2 marketing (`Purpose.sendingPriority`).
    public var priority: Int = 0
    /// The campaign occasion it belongs to, if any.
    public var campaign: String?
    /// After this it is cancelled, not sent.
    public var expiresAt: Date?
    /// The sender that took it on its current channel, once one has.
    public var sender: String? = nil
    /// What the provider later said of it (a receipt), when, and its words for a failure.
    public var delivery: DeliveryReceipt.Status? = nil
    public var deliveredAt: Date? = nil
    public var deliveryReason: String? = nil
    /// Why it left its first channel for the one it is on (a permanent failure, or no delivery).
    public var fallbackNote: String? = nil

    public init(id: Int64, key: String, job: String, customerId: String?, orderIds: [String], reminder: Int?, rendering: Rendering,
                fallbacks: [Rendering], state: OutboxState, attempts: Int, dueAt: Date, nextAttemptAt: Date, lastError: String?,
                providerMessageId: String?, sentAt: Date?, priority: Int = 0, campaign: String? = nil, expiresAt: Date? = nil,
                sender: String? = nil) {
        self.id = id
        self.key = key
        self.job = job
        self.customerId = customerId
        self.orderIds = orderIds
        self.reminder = reminder
        self.rendering = rendering
        self.fallbacks = fallbacks
        self.state = state
        self.attempts = attempts
        self.dueAt = dueAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.providerMessageId = providerMessageId
        self.sentAt = sentAt
        self.priority = priority
        self.campaign = campaign
        self.expiresAt = expiresAt
        self.sender = sender
    }
}

/// A message to add to the outbox: its occurrence keys, its renderings (the first is sent, the
/// others are the fallbacks), when it is due, and how it is sent.
public struct OutboxEntry: Sendable {
    public var keys: [String]
    public var job: String
    public var customerId: String?
    public var orderIds: [String]
    public var reminder: Int?
    public var renderings: [Rendering]
    public var dueAt: Date
    public var priority: Int
    public var campaign: String?
    public var expiresAt: Date?
    /// Written as `paused` (its campaign is paused).
    public var paused: Bool
    /// In its job's control group: written as `cancelled` with this reason, planned and never
    /// sent, so the occurrence counts for the group (issue 28) and is not planned again.
    public var heldOut: String? = nil
    /// Which of its job's template variants wrote it (0-based), for the report by variant.
    public var variant: Int? = nil

    /// The state it is written in.
    public var initialState: OutboxState { heldOut != nil ? .cancelled : paused ? .paused : .planned }

    public init(keys: [String], job: String, customerId: String?, orderIds: [String], reminder: Int?, renderings: [Rendering],
                dueAt: Date, priority: Int = 0, campaign: String? = nil, expiresAt: Date? = nil, paused: Bool = false) {
        self.keys = keys
        self.job = job
        self.customerId = customerId
        self.orderIds = orderIds
        self.reminder = reminder
        self.renderings = renderings
        self.dueAt = dueAt
        self.priority = priority
        self.campaign = campaign
        self.expiresAt = expiresAt
        self.paused = paused
    }
}
