import Foundation
import Logging
import PostgresNIO

/// Wake-ups between nodes (issue 15): a node that writes messages to the outbox says so on a
/// channel (`pg_notify` inside the writing transaction, so it is heard only once the messages
/// can be claimed); the others wake at once instead of at their next poll. Polling stays the
/// source of truth: a notification lost with a connection costs only the wait until the next poll.
public enum OutboxWakeups {
    public static let channel = "carecron_outbox"
    /// The payload of a leader's resignation: the other nodes try for the role at once rather
    /// than at their next renewal.
    public static let leaderResigned = "leader resigned"

    /// Tells every listening node that messages were written (`payload` says what, for logs).
    static func notify(on conn: PostgresConnection, payload: String, logger: Logger) async throws {
        try await conn.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
    }

    /// Calls `wake` with each notification's payload until the task is cancelled or the
    /// connection is lost (the caller listens again; it polls meanwhile).
    public static func listen(_ db: PostgresDatabase, wake: @Sendable (String) async -> Void) async throws {
        try await db.client.withConnection { conn in
            try await conn.listen(on: channel) { notifications in
                for try await n in notifications { await wake(n.payload) }
            }
        }
    }
}
