import CarecronDomain
import Foundation

/// What the outcomes report reads (issue 28): the outbox's rows of a span and the orders that may
/// answer them.
public struct OutcomeData: Sendable {
    /// Every row of the span, for the funnel.
    public var funnel: [FunnelRow] = []
    /// The sent messages and the control group's, for the attribution.
    public var messages: [MessageRecord] = []
    public var orders: [OrderRecord] = []

    public init(funnel: [FunnelRow] = [], messages: [MessageRecord] = [], orders: [OrderRecord] = []) {
        self.funnel = funnel
        self.messages = messages
        self.orders = orders
    }
}

public protocol OutcomeSource: Sendable {
    /// The rows due in [from, to) and the orders placed from a day before `from` until `ordersUntil`
    /// (the longest goal's window after `to`).
    func outcomeData(from: Date, to: Date, ordersUntil: Date) async throws -> OutcomeData
}

extension OutcomeData {
    /// One outbox row as the report reads it; nil for a row without a customer.
    public mutating func add(id: Int64, job: String, customerId: String?, orderIds: String, channel: String, state: String,
                             lastError: String?, dueAt: Int64, sentAt: Int64?, delivery: String?, deliveredAt: Int64?) {
        let heldOut = state == OutboxState.cancelled.rawValue && (lastError?.hasPrefix(Holdout.recordPrefix) ?? false)
        let sent = state == OutboxState.sent.rawValue
        let delivered = delivery == DeliveryReceipt.Status.delivered.rawValue
        funnel.append(FunnelRow(job: job, sent: sent, delivered: delivered, heldOut: heldOut))
        guard let customerId, sent || heldOut else { return }
        // When it reached the customer: its delivery where the channel reports one, else its sending;
        // the control group's, when it would have gone.
        let at = heldOut ? dueAt : (delivered ? deliveredAt : nil) ?? sentAt ?? dueAt
        messages.append(MessageRecord(id: id, job: job, customerId: customerId, orderIds: orderIds.isEmpty ? [] : orderIds.split(separator: ",").map(String.init),
                                      channel: channel, at: Date(timeIntervalSince1970: TimeInterval(at)), delivered: delivered, heldOut: heldOut))
    }
}
