import CarecronDomain
import Foundation

/// What writing one customer or order by id did.
public enum UpsertOutcome: String, Sendable { case inserted, updated, unchanged }

/// A customer or an order, checked and normalised, ready to be written.
public enum NormalisedRecord: Sendable {
    case customer(CustomerRow)
    case order(OrderRow)
}

/// Order events from the shop (HTTP API, platform webhooks), with the state rules that make
/// them safe to retry and refuse the impossible: written once, applied by every store.
public enum OrderEvents {
    public enum Failure: CodedError, Equatable {
        case notFound(String)
        case conflict(String)

        public var code: ErrorCode {
            switch self {
            case .notFound: return .notFound
            case .conflict: return .conflict
            }
        }
    }

    public enum Event: String, Sendable { case payment, delivery, cancel }

    /// An order as an event finds it (times in whole seconds).
    public struct OrderFacts: Sendable {
        public var status: String
        public var placedAt: Int
        public var paidAt: Int?
        public var deliveredAt: Int?
        public var expiredAt: Int?
        public var paymentMethod: String

        public init(status: String, placedAt: Int, paidAt: Int?, deliveredAt: Int?, expiredAt: Int?, paymentMethod: String) {
            self.status = status
            self.placedAt = placedAt
            self.paidAt = paidAt
            self.deliveredAt = deliveredAt
            self.expiredAt = expiredAt
            self.paymentMethod = paymentMethod
        }
    }

    /// What an event changes in an order, whatever store holds it.
    public enum Change: Equatable, Sendable {
        /// Paid at; `late` when after expiry (kept and flagged, DOMAIN.md §2, never lost).
        case pay(at: Int, late: Bool)
        /// Delivered at; a cash-on-delivery order is paid then too, unless it was already.
        case deliver(at: Int, paidToo: Bool)
        case cancel(at: Int)
    }

    /// The order's state rules: nil when the event was applied already (a retry changes
    /// nothing); the change otherwise; a refusal for the impossible or a missing order.
    public static func change(_ event: Event, orderId: String, order: OrderFacts?, at t: Int, holdFor: TimeSpan) throws(Failure) -> Change? {
        guard let order else { throw Failure.notFound("no order \(orderId)") }
        switch event {
        case .payment:
            if order.paidAt != nil { return nil }
            if ["cancelled", "returned"].contains(order.status) { throw Failure.conflict("order \(orderId) was \(order.status): a payment cannot be recorded") }
            return .pay(at: t, late: order.expiredAt != nil || t >= order.placedAt + holdFor.seconds)
        case .delivery:
            if order.deliveredAt != nil { return nil }
            if order.status == "cancelled" { throw Failure.conflict("order \(orderId) was cancelled: it cannot be delivered") }
            return .deliver(at: t, paidToo: order.paymentMethod == "cod")
        case .cancel:
            if order.status == "cancelled" { return nil }
            if order.deliveredAt != nil { throw Failure.conflict("order \(orderId) was delivered: it is returned, not cancelled") }
            return .cancel(at: t)
        }
    }
}

