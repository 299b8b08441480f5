import CarecronDomain
import Foundation

/// An order as a shop platform (Shopify, Haravan) states it: the import's fields, the status its
/// financial and cancel/close facts mean (OrderLifecycle), and when the platform last changed it.
public struct PlatformOrderUpdate: Sendable {
    /// The customer's import fields (id, full_name, phone, email, opt_out).
    public var customer: [String: String]
    /// The order's import fields (id, customer_id, placed_at, amount, payment_method, items).
    public var order: [String: String]
    public var status: OrderStatus
    public var paidAt: Date?
    public var cancelledAt: Date?
    /// The platform's `updated_at`: a delivery older than what is stored changes nothing.
    public var updatedAt: Date?

    public init(customer: [String: String], order: [String: String], status: OrderStatus, paidAt: Date?, cancelledAt: Date?, updatedAt: Date?) {
        self.customer = customer
        self.order = order
        self.status = status
        self.paidAt = paidAt
        self.cancelledAt = cancelledAt
        self.updatedAt = updatedAt
    }
}

/// What applying a platform's order did.
public enum PlatformOrderOutcome: Equatable, Sendable {
    case inserted, updated, unchanged
    /// The stored order is newer (its platform `updated_at`).
    case stale(storedUpdatedAt: Date)
}
