import CarecronDomain
import CarecronStorage
import Foundation
import GRDB

extension Store {
    public func record(_ entry: AuditEntry) throws {
        try db.write { db in
            try db.execute(sql: "INSERT INTO audit (at, user, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Int(entry.at.timeIntervalSince1970), entry.user, entry.action, entry.subject, entry.detail])
        }
    }

    public func recent(limit: Int) throws -> [AuditEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT at, user, action, subject, detail FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                AuditEntry(at: Date(timeIntervalSince1970: TimeInterval($0["at"] as Int64)), user: $0["user"], action: $0["action"],
                           subject: $0["subject"], detail: $0["detail"])
            }
        }
    }
}
