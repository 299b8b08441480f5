import CarecronDomain
import Foundation
import GRDB

/// A campaign's audience as SQL: the meaning of `AudienceFilter.matches`, over the customers
/// table in id order, a page at a time, so that a million recipients never sit in memory at
/// once. Purchases are paid orders not cancelled or returned (`paid`, `delivered`), by
/// placement time, counted with `orders_customer`.
struct AudienceQueries {
    let store: Store

    /// Up to `limit` members after `cursor` (an id), in id order.
    func members(_ r: AudienceRequest, after cursor: String?, limit: Int) throws -> [CustomerSnapshot] {
        var (conditions, arguments) = Self.conditions(r)
        conditions.append(Self.accepting(r.purpose))
        if let cursor {
            conditions.append("c.id > ?")
            arguments += [cursor]
        }
        let sql = """
            SELECT \(Self.columns) FROM customers c WHERE \(conditions.joined(separator: " AND "))
            ORDER BY c.id LIMIT \(limit)
            """
        return try store.db.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            var out: [CustomerSnapshot] = []
            while let row = try rows.next() { out.append(PlanningQueries.customer(row)) }
            return out
        }
    }

    /// How many match, and how many more would but opted out.
    func count(_ r: AudienceRequest) throws -> AudienceCount {
        let (conditions, arguments) = Self.conditions(r)
        let sql = """
            SELECT COUNT(*), COALESCE(SUM(CASE WHEN \(Self.accepting(r.purpose)) THEN 0 ELSE 1 END), 0)
            FROM customers c WHERE \(conditions.joined(separator: " AND "))
            """
        return try store.db.read { db in
            let row = try Row.fetchOne(db, sql: sql, arguments: arguments)!
            let all: Int = row[0], optedOut: Int = row[1]
            return AudienceCount(members: all - optedOut, optedOut: optedOut)
        }
    }

    static let columns = PlanningQueries.customerColumns.split(separator: ",").map { "c." + $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: ", ")

    /// Opt-outs (DOMAIN.md §6): advertising needs none, a notice anything but `all`.
    static func accepting(_ purpose: Purpose) -> String {
        purpose == .marketing ? "c.opt_out = 'none'" : "c.opt_out <> 'all'"
    }

    /// The filter's conditions (never empty), with their arguments.
    static func conditions(_ r: AudienceRequest) -> ([String], StatementArguments) {
        let f = r.filter, at = Int(r.at.timeIntervalSince1970)
        var sql = ["1"]
        var args = StatementArguments()
        func list(_ values: [String]) -> String {
            args += StatementArguments(values)
            return values.map { _ in "?" }.joined(separator: ",")
        }
        let purchases = "FROM orders o WHERE o.customer_id = c.id AND o.status IN ('paid', 'delivered') AND o.placed_at < \(at)"
        let counted = purchases + (f.since(f.within, at: r.at).map { " AND o.placed_at >= \(Int($0.timeIntervalSince1970))" } ?? "")
        if let tiers = f.tiers {
            args += [r.entryTier ?? ""]
            sql.append("COALESCE(c.tier, ?) IN (\(list(tiers)))")
        }
        if let v = f.spentAtLeast { sql.append("(SELECT COALESCE(SUM(o.amount), 0) \(counted)) >= \(v)") }
        if let v = f.spentBelow { sql.append("(SELECT COALESCE(SUM(o.amount), 0) \(counted)) < \(v)") }
        if let v = f.ordersAtLeast { sql.append("(SELECT COUNT(*) \(counted)) >= \(v)") }
        if let limit = f.since(f.lastOrderWithin, at: r.at) {
            sql.append("(SELECT MAX(o.placed_at) \(purchases)) >= \(Int(limit.timeIntervalSince1970))")
        }
        if let limit = f.since(f.lastOrderBefore, at: r.at) {
            sql.append("(SELECT MAX(o.placed_at) \(purchases)) < \(Int(limit.timeIntervalSince1970))")
        }
        if let months = f.birthdayMonths { sql.append("substr(c.birth_md, 1, 2) IN (\(list(months.map { String(format: "%02d", $0) })))") }
        if let genders = f.genders { sql.append("c.gender IN (\(list(genders.map(\.rawValue))))") }
        for channel in f.hasChannels ?? [] {
            switch channel {
            case .sms: sql.append("c.phone IS NOT NULL")
            case .zalo: sql.append("(c.phone IS NOT NULL OR c.zalo_user_id IS NOT NULL)")
            case .email: sql.append("c.email IS NOT NULL")
            case .webhook: break
            }
        }
        if let ids = f.customerIds {
            let json = String(decoding: (try? JSONEncoder().encode(ids)) ?? Data("[]".utf8), as: UTF8.self)
            sql.append("c.id IN (SELECT value FROM json_each(?))")
            args += [json]
        }
        return (sql, args)
    }
}

/// An audience's size: who gets the campaign, and who would but opted out.
public struct AudienceCount: Sendable, Equatable {
    public var members: Int
    public var optedOut: Int

    public init(members: Int, optedOut: Int) {
        self.members = members
        self.optedOut = optedOut
    }
}
