import CarecronStorage
import Foundation
import Logging
import PostgresNIO

/// `carecron migrate-store --to URL` (issue 15): an SQLite store (any `TableExporting`) copied whole into an empty
/// PostgreSQL database, so that a shop can move from one machine to many. One transaction: a
/// failure leaves the target as empty as it was. Every table's rows are counted on both sides.
public enum StoreMigration {
    /// The tables in the order their foreign keys need, each with the columns both schemas share.
    static let tables: [(name: String, columns: [String])] = [
        ("customers", ["id", "full_name", "gender", "phone", "email", "birthday", "birth_md", "zalo_user_id", "tier", "opt_out",
                       "created_at", "updated_at"]),
        ("orders", ["id", "customer_id", "placed_at", "amount", "payment_method", "status", "paid_at", "delivered_at", "cancelled_at",
                    "items", "agent", "expired_at", "paid_after_expiry", "created_at", "updated_at", "source_updated_at"]),
        ("outbox", ["id", "idempotency_key", "job", "customer_id", "order_ids", "reminder", "channel", "sender", "recipient", "subject",
                    "body", "payload", "state", "attempts", "due_at", "next_attempt_at", "last_error", "provider_message_id",
                    "created_at", "updated_at", "sent_at", "fallbacks", "priority", "campaign", "expires_at",
                    // after sending (issue 27)
                    "delivery", "delivered_at", "delivery_reason", "receipt_due_at", "fallback_note", "variant"]),
        ("outbox_keys", ["key", "outbox_id", "planned_at"]),
        ("outbox_purged", ["job", "state", "messages", "last_planned_at"]),
        ("campaign_purged", ["campaign", "state", "messages"]),
        ("campaign_runs", ["id", "job", "occasion", "state", "complete", "base_at", "deadline_at", "audience", "opted_out", "cursor",
                           "written", "planned", "skipped", "paused_at", "updated_at"]),
        ("job_runs", ["id", "job", "started_at", "finished_at", "outcome", "planned", "detail"]),
        ("erasures", ["day", "customers", "messages"]),
        ("webhook_events", ["id", "topic", "received_at"]),
        ("audit", ["id", "at", "user", "action", "subject", "detail"]),
        ("service_state", ["key", "value"]),
        ("delivery_counts", ["channel", "status", "messages"]),
        ("replies", ["id", "sender", "channel", "provider_message_id", "from_address", "customer_id", "text", "received_at", "opt_out", "cancelled"]),
        ("survey_answers", ["id", "job", "customer_id", "order_id", "measure", "score", "source", "answered_at", "low"]),
        ("calls", ["outbox_id", "customer_id", "job", "agent", "rule", "purpose_rank", "job_priority", "amount", "assigned_at", "next_try_at", "tries",
                   "state", "result", "note", "rating", "done_at", "done_by", "updated_at"]),
        ("call_attempts", ["outbox_id", "at", "agent", "result", "note"]),
        ("agents_away", ["agent", "day", "by_user", "at"]),
        ("conversations", ["id", "customer_id", "from_address", "channel", "sender", "kind", "category", "order_id", "agent", "rule", "opened_at",
                           "due_at", "last_in_at", "first_response_at", "resolved_at", "resolution", "resolved_by", "state", "contacts", "came_back",
                           "updated_at"]),
        ("conversation_events", ["id", "conversation_id", "at", "direction", "text", "by_user", "outbox_id"]),
    ]

    /// Tables whose ids come from a sequence: it continues after the copied ids.
    static let serials = ["outbox", "job_runs", "audit", "replies", "survey_answers", "conversations", "conversation_events"]

    public struct NotEmpty: Error, CustomStringConvertible {
        public let description: String
    }

    public struct CountMismatch: Error, CustomStringConvertible {
        public let description: String
    }

    /// Rows copied, by table, in the order copied.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)] = []
    }

    /// Copies `source` into `target`, which must hold no customer, order or message.
    public static func copy(from source: some TableExporting, to target: PostgresDatabase, batch: Int = 500,
                            progress: (String, Int) -> Void = { _, _ in }) async throws -> Report {
        for table in ["customers", "orders", "outbox"] {
            for try await n in try await target.client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).decode(Int64.self) where n > 0 {
                throw NotEmpty(description: "\(target.settings.description) already holds \(n) row(s) in \(table): migrate-store copies into an empty database only")
            }
        }
        return try await target.transaction { conn in
            var report = Report()
            for (table, columns) in tables {
                let copied = try await copyTable(table, columns: columns, from: source, on: conn, batch: batch, logger: target.logger)
                progress(table, copied)
                report.rows.append((table, copied))
            }
            for table in serials {
                try await conn.query(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table)', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM \(table)), 1))
                    """), logger: target.logger)
            }
            // Counted on both sides before the copy is committed.
            for (table, copied) in report.rows {
                let stored = try source.rowCount(table)
                var there = 0
                for try await n in try await conn.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(quoted(table))"), logger: target.logger)
                    .decode(Int64.self) { there = Int(n) }
                guard stored == copied, there == copied else {
                    throw CountMismatch(description: "\(table): \(stored) row(s) in SQLite, \(copied) copied, \(there) in PostgreSQL")
                }
            }
            return report
        }
    }

    static func quoted(_ name: String) -> String { "\"\(name)\"" }

    /// One table, `batch` rows to a statement. A message caught `sending` by the copy (a service
    /// stopped mid-send) arrives `failed`: sent again with its idempotency key, as the SQLite
    /// store's own recovery would (`OutboxTransition.recover`).
    static func copyTable(_ table: String, columns: [String], from source: some TableExporting, on conn: PostgresConnection, batch: Int,
                          logger: Logger) async throws -> Int {
        let list = columns.map(quoted).joined(separator: ", ")
        let state = columns.firstIndex(of: "state")
        var copied = 0, last: ExportValue?
        while true {
            let (rows, cursor) = try source.exportRows(table, columns: columns, after: last, limit: batch)
            guard !rows.isEmpty else { return copied }
            var binds = PostgresBindings(capacity: rows.count * columns.count)
            var tuples: [String] = []
            for row in rows {
                var marks: [String] = []
                for (i, value) in row.enumerated() {
                    try binds.append(table == "outbox" && i == state && value == .text(OutboxState.sending.rawValue) ? .text(OutboxState.failed.rawValue) : value)
                    marks.append("$\(binds.count)")
                }
                tuples.append("(\(marks.joined(separator: ", ")))")
            }
            try await conn.query(PostgresQuery(unsafeSQL: "INSERT INTO \(quoted(table)) (\(list)) VALUES \(tuples.joined(separator: ", "))",
                                               binds: binds), logger: logger)
            copied += rows.count
            last = cursor
        }
    }
}

extension PostgresBindings {
    /// An SQLite value as the PostgreSQL column takes it.
    mutating func append(_ value: ExportValue) throws {
        switch value {
        case .null: appendNull()
        case .int(let i): append(i)
        case .double(let d): append(d)
        case .text(let s): append(s)
        case .blob(let b): try append(b)
        }
    }
}
