import Foundation

/// The rules about orders and customers that both stores apply in their own dialect, written once.
public enum OrderRules {
    /// An order carecron may still expire: unpaid and pending, not expired before (a payment
    /// recorded first wins; expiring twice changes nothing).
    public static let expirable = "expired_at IS NULL AND paid_at IS NULL AND status = 'pending'"

    /// An order's status once paid: a pending or expired order becomes paid (a payment after
    /// expiry is kept and flagged, DOMAIN.md §2); a delivered, cancelled or returned one keeps its status.
    public static let statusAfterPayment = "CASE WHEN status IN ('pending', 'expired') THEN 'paid' ELSE status END"

    /// The day (UTC, `YYYY-MM-DD`) an erasure is counted under in `erasures`.
    public static func erasureDay(_ now: Date) -> String { String(ISO8601DateFormatter().string(from: now).prefix(10)) }
}
