import CarecronStorage
import Foundation
import GRDB

extension OutboxOutcome {
    /// The SQL `SET` clause and its arguments.
    var change: (String, [DatabaseValueConvertible?]) {
        func seconds(_ d: Date) -> Int { Int(d.timeIntervalSince1970) }
        let state = "state = \(transition.targetSQL)"
        switch self {
        case .sender(_, let name):
            return ("sender = COALESCE(sender, ?)", [name])
        case .sent(_, let providerId, let at, let receiptDue):
            return ("\(state), sent_at = ?, provider_message_id = ?, last_error = NULL, updated_at = ?, receipt_due_at = ?",
                    [seconds(at), providerId, seconds(at), receiptDue.map { Int($0.timeIntervalSince1970.rounded(.up)) }])
        case .retry(_, let error, let next, let now):
            // Rounded up: whole seconds must never make a retry due before its time.
            return ("\(state), last_error = ?, next_attempt_at = ?, updated_at = ?",
                    [error, Int(next.timeIntervalSince1970.rounded(.up)), seconds(now)])
        case .dead(_, let error, let now):
            return ("\(state), last_error = ?, updated_at = ?", [error, seconds(now)])
        case .cancelled(_, let reason, let now):
            return ("\(state), last_error = ?, updated_at = ?", [reason, seconds(now)])
        }
    }
}
