/// An order's status in carecron. The files and the API spell it as the raw value.
public enum OrderStatus: String, Sendable, CaseIterable {
    case pending, paid, delivered, cancelled, returned, expired

    /// Paid, whatever happened after (delivered, returned).
    public var isPaid: Bool { self == .paid || self == .delivered || self == .returned }
    /// Cancelled or returned: no message about it any more.
    public var isWithdrawn: Bool { self == .cancelled || self == .returned }
}

/// How an order is paid. The files and the API spell it as the raw value.
public enum PaymentMethod: String, Sendable, CaseIterable {
    // In this order in messages that list them.
    case prepaid, cod
    case bankTransfer = "bank_transfer"
    case card, ewallet
}
