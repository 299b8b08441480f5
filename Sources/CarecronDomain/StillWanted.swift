import Foundation

/// What the store knows, at the moment of sending, about a message's customer and orders.
public struct SendingFacts: Sendable {
    /// The customer's opt-out; nil when the customer no longer exists.
    public var optOut: OptOut?
    /// The message's orders that still exist, as they are now.
    public var orders: [OrderAtSending]
    /// When the customer was last sent a message of the same job, where the job keeps a gap.
    public var lastSentOfJob: Date?
    /// The customer has a complaint not resolved: no advertising meanwhile (issue 29).
    public var complaintOpen = false

    public init(optOut: OptOut?, orders: [OrderAtSending], lastSentOfJob: Date? = nil, complaintOpen: Bool = false) {
        self.complaintOpen = complaintOpen
        self.optOut = optOut
        self.orders = orders
        self.lastSentOfJob = lastSentOfJob
    }
}

/// The check made again at the moment of sending (DOMAIN.md §1.5, §6): is the message still
/// wanted? What every job shares is here; what one type adds is its `reasonToCancel`.
public enum StillWanted {
    /// A reason to cancel the message, or nil. `rules` and `purpose` are nil for a message whose
    /// job is gone from `jobs/`: only the customer is checked then. `expiresAt` is when the
    /// message stops being worth sending (a campaign's day is over: never the next day).
    public static func reasonToCancel(customerId: String?, orderIds: [String], facts: SendingFacts,
                                      rules: (any JobRules)?, purpose: Purpose?, expiresAt: Date? = nil, now: Date) -> String? {
        if let expiresAt, now > expiresAt {
            return Sentence("cancel.too_late", ["at": .text(ISO8601DateFormatter().string(from: expiresAt))]).description
        }
        if let customerId {
            guard let optOut = facts.optOut else { return Sentence("cancel.customer_gone", ["customer": .text(customerId)]).description }
            if optOut == .all { return Sentence("cancel.opted_out_all").description }
            if optOut == .marketing, purpose == .marketing { return Sentence("cancel.opted_out_marketing").description }
            if facts.complaintOpen, purpose == .marketing { return Sentence("cancel.complaint_open").description }
        }
        if let last = facts.lastSentOfJob, let gap = rules?.minimumGapBetweenSends, now.timeIntervalSince(last) < gap.interval {
            return Sentence("cancel.sent_recently", ["gap": .text(gap.description)]).description
        }
        guard let rules, !orderIds.isEmpty else { return nil }
        if facts.orders.isEmpty { return Sentence("cancel.order_gone").description }
        let reasons = facts.orders.compactMap { order -> Sentence? in
            if let status = order.status, status.isWithdrawn {
                return Sentence("skip.order_withdrawn", ["order": .text(order.id), "status": .word("order_status.\(status.rawValue)")])
            }
            return rules.reasonToCancel(order, now: now)
        }
        // A message naming several orders still goes out while one of them needs it. Stored in
        // English, the outbox's language; the console reads it back through the catalogue.
        return reasons.count == facts.orders.count ? reasons.map(\.description).joined(separator: "; ") : nil
    }
}
