import CarecronStorage
import Foundation
import GRDB

extension Store: TableExporting {
    /// Up to `limit` rows of a table, in the order of its rowid (or, for a WITHOUT ROWID table,
    /// its key), after the row whose cursor is `after`: a big table is read a batch at a time and
    /// no batch rereads the ones before it. Each row's values in `columns` order, and the cursor
    /// to continue from.
    public func exportRows(_ table: String, columns: [String], after: ExportValue?, limit: Int) throws
        -> (rows: [[ExportValue]], last: ExportValue?) {
        let cursor = Self.exportCursor(table)
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        return try db.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(cursor) AS carecron_cursor, \(list) FROM "\(table)" \(after == nil ? "" : "WHERE \(cursor) > ?")
                ORDER BY \(cursor) LIMIT \(limit)
                """, arguments: after.map { StatementArguments([Self.databaseValue($0)]) } ?? StatementArguments())
            let values = rows.map { row in columns.map { Self.exportValue(row[$0] as DatabaseValue) } }
            return (values, rows.last.map { Self.exportValue($0["carecron_cursor"] as DatabaseValue) })
        }
    }

    public func rowCount(_ table: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0 }
    }

    /// What a table is read in order of: its rowid, or the key of a WITHOUT ROWID table (two
    /// columns joined by the unit separator: a NUL would cut the cursor short when read back, and
    /// the next batch would read the last row again).
    static func exportCursor(_ table: String) -> String {
        switch table {
        case "customers", "orders", "campaign_runs", "webhook_events": return "id"
        case "erasures": return "day"
        case "service_state": return "key"
        case "outbox_purged": return "job || char(31) || state"
        case "campaign_purged": return "campaign || char(31) || state"
        case "delivery_counts": return "channel || char(31) || status"
        default: return "rowid"
        }
    }

    static func exportValue(_ v: DatabaseValue) -> ExportValue {
        switch v.storage {
        case .null: return .null
        case .int64(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .text(s)
        case .blob(let b): return .blob(b)
        }
    }

    static func databaseValue(_ v: ExportValue) -> DatabaseValue {
        switch v {
        case .null: return .null
        case .int(let i): return i.databaseValue
        case .double(let d): return d.databaseValue
        case .text(let s): return s.databaseValue
        case .blob(let b): return b.databaseValue
        }
    }
}
