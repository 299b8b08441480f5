import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

// The service's own facts and the console's audit log, on PostgreSQL.

extension PostgresStore: ServiceStateStore {
    /// The last heartbeat of any node: the shop's service as a whole was last alive then.
    public func heartbeat() async throws -> Date? {
        try await value("heartbeat").flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) }
    }

    public func beat(_ at: Date) async throws { try await setValues([("heartbeat", String(at.timeIntervalSince1970))]) }

    public func recordIntegrity(_ problems: [String], at: Date) async throws {
        try await setValues([("integrity", problems.joined(separator: "\n")), ("integrity_at", String(at.timeIntervalSince1970))])
    }

    public func lastIntegrity() async throws -> (at: Date, problems: [String])? {
        guard let at = try await value("integrity_at").flatMap(TimeInterval.init), let text = try await value("integrity") else { return nil }
        return (Date(timeIntervalSince1970: at), text.isEmpty ? [] : text.components(separatedBy: "\n"))
    }

    /// Whether the database answers now (`/readyz`), within 3 s.
    public func isReachable() async throws -> Bool { try await db.poolAnswers(within: .seconds(3)) }

    /// PostgreSQL keeps its own pages (checksums, WAL); what carecron checks is that the schema
    /// it needs is all there.
    public func integrityProblems(limit: Int) async throws -> [String] {
        let needed = ["customers", "orders", "outbox", "outbox_keys", "service_state", "nodes", "leadership"]
        var present = Set<String>()
        for try await name in try await db.client.query("""
            SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()
            """, logger: logger).decode(String.self) { present.insert(name) }
        return needed.filter { !present.contains($0) }.prefix(limit).map { "table \($0) is missing" }
    }

    func value(_ key: String) async throws -> String? {
        for try await v in try await db.client.query("SELECT value FROM service_state WHERE key = \(key)", logger: logger).decode(String.self) {
            return v
        }
        return nil
    }

    func setValues(_ pairs: [(String, String)]) async throws {
        try await db.transaction { conn in
            for (key, value) in pairs {
                try await conn.query("""
                    INSERT INTO service_state (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: self.logger)
            }
        }
    }
}

extension PostgresStore: AuditStore {
    public func record(_ entry: AuditEntry) async throws {
        try await db.client.query("""
            INSERT INTO audit (at, "user", action, subject, detail)
            VALUES (\(Self.seconds(entry.at)), \(entry.user), \(entry.action), \(entry.subject), \(entry.detail))
            """, logger: logger)
    }

    public func recent(limit: Int) async throws -> [AuditEntry] {
        var out: [AuditEntry] = []
        let rows = try await db.client.query("""
            SELECT at, "user", action, subject, detail FROM audit ORDER BY id DESC LIMIT \(Int64(limit))
            """, logger: logger)
        for try await (at, user, action, subject, detail) in rows.decode((Int64, String, String, String, String).self) {
            out.append(AuditEntry(at: Date(timeIntervalSince1970: TimeInterval(at)), user: user, action: action, subject: subject, detail: detail))
        }
        return out
    }
}
