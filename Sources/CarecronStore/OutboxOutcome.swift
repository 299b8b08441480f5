import Foundation
import GRDB

/// What became of a claimed message, as the dispatcher records it (`OutboxStore.record`).
public enum OutboxOutcome: Sendable, Equatable, Codable {
    /// The sender that takes the message on its current channel (the first to record one keeps it).
    case sender(Int64, name: String)
    case sent(Int64, providerId: String?, at: Date)
    case retry(Int64, error: String, next: Date, now: Date)
    case dead(Int64, error: String, now: Date)
    case cancelled(Int64, reason: String, now: Date)

    public var id: Int64 {
        switch self {
        case .sender(let id, _), .sent(let id, _, _), .retry(let id, _, _, _), .dead(let id, _, _), .cancelled(let id, _, _): return id
        }
    }

    /// The SQL `SET` clause and its arguments.
    var change: (String, [DatabaseValueConvertible?]) {
        func seconds(_ d: Date) -> Int { Int(d.timeIntervalSince1970) }
        switch self {
        case .sender(_, let name):
            return ("sender = COALESCE(sender, ?)", [name])
        case .sent(_, let providerId, let at):
            return ("state = 'sent', sent_at = ?, provider_message_id = ?, last_error = NULL, updated_at = ?", [seconds(at), providerId, seconds(at)])
        case .retry(_, let error, let next, let now):
            // Rounded up: whole seconds must never make a retry due before its time.
            return ("state = 'failed', last_error = ?, next_attempt_at = ?, updated_at = ?",
                    [error, Int(next.timeIntervalSince1970.rounded(.up)), seconds(now)])
        case .dead(_, let error, let now):
            return ("state = 'dead', last_error = ?, updated_at = ?", [error, seconds(now)])
        case .cancelled(_, let reason, let now):
            return ("state = 'cancelled', last_error = ?, updated_at = ?", [reason, seconds(now)])
        }
    }
}
