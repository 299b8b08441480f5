import Foundation

/// What a job's message is for, and so what counts as it having worked (issue 28). A job file
/// may set its own window: `"goal": {"within": "10d"}`.
public enum Goal: Sendable, Equatable {
    /// The message's order is paid before its hold ends (a payment reminder).
    case orderPaid
    /// The message's cash-on-delivery order is delivered, not refused (a COD confirmation).
    case orderDelivered
    /// The customer places an order within this long after the message (a check-in, a birthday,
    /// a campaign; a tier congratulation's "next order").
    case newOrder(within: TimeSpan)

    /// Each job type's goal, as the handbook's purpose for it reads; nil for bookkeeping (expiry).
    public static func `default`(for type: JobType) -> Goal? {
        switch type.rawValue {
        case "payment-reminder": .orderPaid
        case "cod-confirmation": .orderDelivered
        case "post-sale-checkin": .newOrder(within: .days(30))
        case "birthday": .newOrder(within: .days(14))
        case "campaign": .newOrder(within: .days(7))
        case "tier-upgrade": .newOrder(within: .days(90))
        default: nil
        }
    }

    /// The job's goal: its own window where the file gives one.
    public static func of(_ job: JobDefinition) -> Goal? {
        guard let goal = Goal.default(for: job.type) else { return nil }
        if case .newOrder = goal, let within = job.goalWithin { return .newOrder(within: within) }
        return goal
    }
}
