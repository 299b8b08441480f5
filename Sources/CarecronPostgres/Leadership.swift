import Foundation
import Logging
import PostgresNIO

/// Who plans (issue 15): one node leads, every node sends. Leadership is a row per role with its
/// holder, a term that grows with each new holder, and an expiry in the database's clock. The
/// leader renews it well before it lapses and resigns on SIGTERM. It counts its own time from
/// before it asked: a leader that cannot renew stops planning before anyone else can take over.
/// Should two planners ever overlap, the outbox's unique keys make it harmless.
public final class Leadership: Sendable {
    public let db: PostgresDatabase
    public let node: String
    public let role: String
    public let leaseSeconds: Double

    public init(_ db: PostgresDatabase, node: String, role: String = "planner", leaseSeconds: Double? = nil) {
        self.db = db
        self.node = node
        self.role = role
        self.leaseSeconds = leaseSeconds ?? db.settings.leaseSeconds
    }

    /// A term this node holds, and until when it may act on it (by its own monotonic clock).
    public struct Term: Sendable, Equatable {
        public let number: Int64
        /// A third of the lease short of its expiry: the margin covers a slow answer and clock drift.
        public let actUntil: ContinuousClock.Instant

        public func isValid(at now: ContinuousClock.Instant = .now) -> Bool { now < actUntil }
    }

    /// Becomes leader if no one holds the role (or its holder's lease has lapsed), or renews this
    /// node's own term; nil when another node leads.
    public func acquireOrRenew() async throws -> Term? {
        let asked = ContinuousClock.now
        let rows = try await db.client.query("""
            INSERT INTO leadership AS l (role, holder, term, expires_at, acquired_at)
            VALUES (\(role), \(node), 1, now() + make_interval(secs => \(leaseSeconds)), now())
            ON CONFLICT (role) DO UPDATE SET
                term = CASE WHEN l.holder = excluded.holder THEN l.term ELSE l.term + 1 END,
                acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE now() END,
                holder = excluded.holder, expires_at = excluded.expires_at
            WHERE l.holder = excluded.holder OR l.expires_at < now()
            RETURNING term
            """, logger: db.logger)
        for try await term in rows.decode(Int64.self) {
            return Term(number: term, actUntil: LeasedOutbox.actUntil(askedAt: asked, lease: leaseSeconds))
        }
        return nil
    }

    /// Gives the role up at once (SIGTERM): another node need not wait for the lease to lapse.
    /// The row stays, expired, so that the next holder's term is still a higher one.
    public func resign() async throws {
        try await db.transaction { conn in
            try await conn.query("""
                UPDATE leadership SET expires_at = now() - interval '1 millisecond' WHERE role = \(self.role) AND holder = \(self.node)
                """, logger: self.db.logger)
            try await OutboxWakeups.notify(on: conn, payload: OutboxWakeups.leaderResigned, logger: self.db.logger)
        }
    }

    /// How long until the current holder's lease lapses (0 when none holds it): a node that does
    /// not lead tries again then, so that a dead leader is replaced as soon as its lease allows.
    public func lapsesIn() async throws -> Double {
        let rows = try await db.client.query("""
            SELECT greatest(0, extract(epoch FROM expires_at - now()))::float8 FROM leadership WHERE role = \(role)
            """, logger: db.logger)
        for try await s in rows.decode(Double.self) { return s }
        return 0
    }

    /// The current holder, its term and when the term began, if any holds an unexpired lease.
    public func holder() async throws -> (node: String, term: Int64, since: Date)? { try await Self.holder(of: role, on: db) }

    /// The same, read by anyone (`carecron status`), not only a node that could hold the role.
    public static func holder(of role: String = "planner", on db: PostgresDatabase) async throws -> (node: String, term: Int64, since: Date)? {
        let rows = try await db.client.query("""
            SELECT holder, term, extract(epoch FROM acquired_at)::float8 FROM leadership WHERE role = \(role) AND expires_at >= now()
            """, logger: db.logger)
        for try await (holder, term, since) in rows.decode((String, Int64, Double).self) {
            return (holder, term, Date(timeIntervalSince1970: since))
        }
        return nil
    }
}

/// The nodes sharing the database, for `carecron status`: each process registers under a random
/// id (never the hostname: two processes on one host, or a cloned machine, stay apart) and beats.
public struct NodeRegistry: Sendable {
    public let db: PostgresDatabase

    public init(_ db: PostgresDatabase) { self.db = db }

    public struct Node: Sendable, Equatable {
        public let id: String
        public let host: String
        public let pid: Int
        public let lastHeartbeat: Date
        public let leads: Bool
    }

    /// Registers the node, or records its heartbeat (in the database's clock).
    public func beat(node: String, host: String = ProcessInfo.processInfo.hostName, pid: Int = Int(getpid())) async throws {
        try await db.client.query("""
            INSERT INTO nodes (id, host, pid) VALUES (\(node), \(host), \(Int32(pid)))
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
            """, logger: db.logger)
    }

    /// Removes a node that stopped cleanly.
    public func leave(node: String) async throws {
        try await db.client.query("DELETE FROM nodes WHERE id = \(node)", logger: db.logger)
    }

    /// Every node seen within `within` seconds, the most recent heartbeat first.
    public func nodes(within: Double = 3600) async throws -> [Node] {
        let rows = try await db.client.query("""
            SELECT n.id, n.host, n.pid, extract(epoch FROM n.heartbeat_at)::float8,
                   EXISTS (SELECT 1 FROM leadership l WHERE l.holder = n.id AND l.expires_at >= now())
            FROM nodes n WHERE n.heartbeat_at >= now() - make_interval(secs => \(within))
            ORDER BY n.heartbeat_at DESC, n.id
            """, logger: db.logger)
        var out: [Node] = []
        for try await (id, host, pid, beat, leads) in rows.decode((String, String, Int32, Double, Bool).self) {
            out.append(Node(id: id, host: host, pid: Int(pid), lastHeartbeat: Date(timeIntervalSince1970: beat), leads: leads))
        }
        return out
    }
}
