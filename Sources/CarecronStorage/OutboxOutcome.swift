import Foundation

/// What became of a claimed message, as the dispatcher records it (`OutboxStore.record`).
public enum OutboxOutcome: Sendable, Equatable, Codable {
    /// The sender that takes the message on its current channel (the first to record one keeps it).
    case sender(Int64, name: String)
    /// `receiptDue`: when the next channel takes it unless a receipt says it was delivered.
    case sent(Int64, providerId: String?, at: Date, receiptDue: Date? = nil)
    case retry(Int64, error: String, next: Date, now: Date)
    case dead(Int64, error: String, now: Date)
    case cancelled(Int64, reason: String, now: Date)

    public var id: Int64 {
        switch self {
        case .sender(let id, _), .sent(let id, _, _, _), .retry(let id, _, _, _), .dead(let id, _, _), .cancelled(let id, _, _): return id
        }
    }
}
