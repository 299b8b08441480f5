import CarecronDomain
import CarecronStorage
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
        let q = AudienceSQL(r, dialect: .sqlite).members(after: cursor, limit: limit)
        return try store.db.read { db in
            let rows = try Row.fetchCursor(db, sql: q.sql, arguments: StatementArguments(q.arguments))
            var out: [CustomerSnapshot] = []
            while let row = try rows.next() { out.append(PlanningQueries.customer(row)) }
            return out
        }
    }

    /// How many match, and how many more would but opted out.
    func count(_ r: AudienceRequest) throws -> AudienceCount {
        let q = AudienceSQL(r, dialect: .sqlite).count
        return try store.db.read { db in
            let row = try Row.fetchOne(db, sql: q.sql, arguments: StatementArguments(q.arguments))!
            let all: Int = row[0], optedOut: Int = row[1], unreachable: Int = row[2]
            return AudienceCount(members: all - optedOut, optedOut: optedOut, unreachable: unreachable)
        }
    }
}

