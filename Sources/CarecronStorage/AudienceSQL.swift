import CarecronDomain
import Foundation

/// The SQL both stores run for an audience: the same conditions, each store's placeholders
/// (SQLite's `?`, PostgreSQL's `$n`). Every argument is text; numbers and times are written in.
public struct AudienceSQL: Sendable {
    public enum Dialect: Sendable {
        case sqlite, postgres

        /// The sum of a column that never raises an overflow: SQLite's TOTAL (a float: exact for
        /// sums of bounded amounts), PostgreSQL's SUM (a numeric for a bigint column).
        public func total(_ column: String) -> String { self == .sqlite ? "TOTAL(\(column))" : "COALESCE(SUM(\(column)), 0)" }
    }

    public let dialect: Dialect
    public let request: AudienceRequest
    /// The filter's conditions (never empty) and their arguments, in placeholder order.
    public private(set) var conditions: [String] = []
    public private(set) var arguments: [String] = []

    public init(_ r: AudienceRequest, dialect: Dialect) {
        self.dialect = dialect
        self.request = r
        build()
    }

    /// A placeholder for a new argument.
    mutating func bind(_ value: String) -> String {
        arguments.append(value)
        return dialect == .sqlite ? "?" : "$\(arguments.count)"
    }

    mutating func list(_ values: [String]) -> String { values.map { bind($0) }.joined(separator: ",") }

    private mutating func build() {
        let r = request, f = r.filter, at = Int(r.at.timeIntervalSince1970)
        conditions = ["1 = 1"]
        let purchases = "FROM orders o WHERE o.customer_id = c.id AND o.status IN ('paid', 'delivered') AND o.placed_at < \(at)"
        let counted = purchases + (f.since(f.within, at: r.at).map { " AND o.placed_at >= \(Int($0.timeIntervalSince1970))" } ?? "")
        if let tiers = f.tiers {
            let entry = bind(r.entryTier ?? "")
            conditions.append("COALESCE(c.tier, \(entry)) IN (\(list(tiers)))")
        }
        // TOTAL on SQLite: its SUM raises "integer overflow" on rows stored before amounts were
        // bounded, where PostgreSQL's SUM(bigint) is a numeric and goes on (issue 24).
        let sum = dialect.total("o.amount")
        if let v = f.spentAtLeast { conditions.append("(SELECT \(sum) \(counted)) >= \(v)") }
        if let v = f.spentBelow { conditions.append("(SELECT \(sum) \(counted)) < \(v)") }
        if let v = f.ordersAtLeast { conditions.append("(SELECT COUNT(*) \(counted)) >= \(v)") }
        if let limit = f.since(f.lastOrderWithin, at: r.at) {
            conditions.append("(SELECT MAX(o.placed_at) \(purchases)) >= \(Int(limit.timeIntervalSince1970))")
        }
        if let limit = f.since(f.lastOrderBefore, at: r.at) {
            conditions.append("(SELECT MAX(o.placed_at) \(purchases)) < \(Int(limit.timeIntervalSince1970))")
        }
        if let months = f.birthdayMonths { conditions.append("substr(c.birth_md, 1, 2) IN (\(list(months.map { String(format: "%02d", $0) })))") }
        if let genders = f.genders { conditions.append("c.gender IN (\(list(genders.map(\.rawValue))))") }
        for channel in f.hasChannels ?? [] { if let has = Self.reaches(channel) { conditions.append(has) } }
        if let ids = f.customerIds {
            let json = bind(String(decoding: (try? JSONEncoder().encode(ids)) ?? Data("[]".utf8), as: UTF8.self))
            conditions.append(dialect == .sqlite ? "c.id IN (SELECT value FROM json_each(\(json)))"
                                                 : "c.id IN (SELECT jsonb_array_elements_text(\(json)::jsonb))")
        }
    }

    /// Up to `limit` members after the id `cursor`, in id order.
    public func members(after cursor: String?, limit: Int) -> (sql: String, arguments: [String]) {
        var q = self
        q.conditions.append(Self.accepting(request.purpose))
        if let cursor { q.conditions.append("c.id > \(q.bind(cursor))") }
        return ("SELECT \(Self.columns) FROM customers c WHERE \(q.conditions.joined(separator: " AND ")) ORDER BY c.id LIMIT \(limit)",
                q.arguments)
    }

    /// How many match, how many of those opted out, and how many of the others have an address
    /// for none of the request's channels.
    public var count: (sql: String, arguments: [String]) {
        let accepting = Self.accepting(request.purpose)
        // A channel that needs no address of the customer's (a webhook) reaches everyone.
        let channels = request.channels ?? []
        let reached = channels.map(Self.reaches)
        let unreachable = channels.isEmpty || reached.contains(nil) ? "0"
            : "COALESCE(SUM(CASE WHEN \(accepting) AND NOT (\(reached.compactMap { $0 }.joined(separator: " OR "))) THEN 1 ELSE 0 END), 0)"
        return ("""
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN \(accepting) THEN 0 ELSE 1 END), 0), \(unreachable)
        FROM customers c WHERE \(conditions.joined(separator: " AND "))
        """, arguments)
    }

    /// The condition that a customer has an address for `channel`; nil when it needs none.
    static func reaches(_ channel: ChannelKind) -> String? {
        switch channel {
        case .sms, .call: "c.phone IS NOT NULL"
        case .zalo: "(c.phone IS NOT NULL OR c.zalo_user_id IS NOT NULL)"
        case .email: "c.email IS NOT NULL"
        case .webhook: nil
        }
    }

    public static let columns = PlanningSQL.customerColumns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: ", ")

    /// Opt-outs (DOMAIN.md §6): advertising needs none, a notice anything but `all`.
    public static func accepting(_ purpose: Purpose) -> String {
        purpose == .marketing ? "c.opt_out = 'none'" : "c.opt_out <> 'all'"
    }
}

/// An audience's size: who gets the campaign, and who would but opted out.
public struct AudienceCount: Sendable, Equatable {
    public var members: Int
    public var optedOut: Int
    /// Members with an address for none of the channels asked about (when asked).
    public var unreachable: Int

    public init(members: Int, optedOut: Int, unreachable: Int = 0) {
        self.members = members
        self.optedOut = optedOut
        self.unreachable = unreachable
    }
}
