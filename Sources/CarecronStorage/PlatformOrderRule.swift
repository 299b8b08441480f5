import CarecronDomain
import Foundation

extension RowNormaliser {
    /// A platform order's customer, normalised: a contact we cannot read must not lose the
    /// order, so the customer is kept without it.
    public func customerKeepingOrder(_ fields: [String: String]) throws(FieldProblem) -> CustomerRow {
        do { return try customer(fields) } catch {
            guard error.field == "phone" || error.field == "email" else { throw error }
            var fields = fields
            fields[error.field] = nil
            return try customer(fields)
        }
    }
}

/// How a platform's statement of an order (`PlatformOrderUpdate`) meets the stored order,
/// whatever store holds it: older than what is stored changes nothing; the status only moves
/// forward (`OrderLifecycle.merge`); paid and cancelled times follow the status. Times are whole
/// seconds, as both stores keep them.
public enum PlatformOrderRule {
    /// The stored order's facts the rule reads.
    public struct Stored: Sendable {
        public var status: OrderStatus
        public var paidAt: Int64?
        public var cancelledAt: Int64?
        public var expiredAt: Int64?
        public var sourceUpdatedAt: Int64?

        public init(status: OrderStatus, paidAt: Int64?, cancelledAt: Int64?, expiredAt: Int64?, sourceUpdatedAt: Int64?) {
            self.status = status
            self.paidAt = paidAt
            self.cancelledAt = cancelledAt
            self.expiredAt = expiredAt
            self.sourceUpdatedAt = sourceUpdatedAt
        }
    }

    /// The values to write (the import's order fields besides).
    public struct Values: Sendable, Equatable {
        public var status: OrderStatus
        public var paidAt: Int64?
        public var cancelledAt: Int64?
        /// Paid after expiry: kept and flagged, never lost (DOMAIN.md §2).
        public var paidAfterExpiry: Bool
        public var sourceUpdatedAt: Int64?
    }

    public enum Resolution: Sendable, Equatable {
        case stale(storedUpdatedAt: Date)
        case write(Values)
    }

    public static func resolve(_ u: PlatformOrderUpdate, order: OrderRow, stored: Stored?, holdFor: TimeSpan, now: Date) -> Resolution {
        if let last = stored?.sourceUpdatedAt, let incoming = u.updatedAt, Int64(incoming.timeIntervalSince1970) < last {
            return .stale(storedUpdatedAt: Date(timeIntervalSince1970: TimeInterval(last)))
        }
        let status = stored.map { OrderLifecycle.merge(stored: $0.status, incoming: u.status) } ?? u.status
        let fallback = u.updatedAt ?? now
        func seconds(_ d: Date?) -> Int64? { d.map { Int64($0.timeIntervalSince1970) } }
        // Times follow the status: paid orders have paid_at, cancelled ones cancelled_at, pending ones neither.
        let paidAt: Int64? = status.isPaid ? stored?.paidAt ?? seconds(u.paidAt ?? fallback) : status == .cancelled ? stored?.paidAt : nil
        let cancelledAt: Int64? = status == .cancelled ? stored?.cancelledAt ?? seconds(u.cancelledAt ?? fallback) : nil
        let placed = Int64(order.placedAt.timeIntervalSince1970)
        let late = paidAt.map { stored?.expiredAt != nil || $0 >= placed + Int64(holdFor.seconds) } ?? false
        return .write(Values(status: status, paidAt: paidAt, cancelledAt: cancelledAt, paidAfterExpiry: late, sourceUpdatedAt: seconds(u.updatedAt)))
    }
}
