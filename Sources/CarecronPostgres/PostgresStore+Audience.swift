import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

// Campaigns' audiences on PostgreSQL: the same conditions as the SQLite store's (`AudienceSQL`),
// a page at a time in id order. (The campaign runs themselves are the next part of issue 15.)

extension PostgresStore {
    /// Up to `limit` members of an audience after the id `cursor`, in id order.
    public func audience(_ request: AudienceRequest, after cursor: String?, limit: Int) async throws -> [CustomerSnapshot] {
        let q = AudienceSQL(request, dialect: .postgres).members(after: cursor, limit: limit)
        var out: [CustomerSnapshot] = []
        for try await row in try await db.client.query(Self.query(q), logger: logger) { out.append(try Self.customer(row)) }
        return out
    }

    public func audienceCount(_ request: AudienceRequest) async throws -> AudienceCount {
        let q = AudienceSQL(request, dialect: .postgres).count
        let counted = (sql: "SELECT a::bigint, b::bigint, u::bigint FROM (\(q.sql)) AS t(a, b, u)", arguments: q.arguments)
        for try await (all, optedOut, unreachable) in try await db.client.query(Self.query(counted), logger: logger).decode((Int64, Int64, Int64).self) {
            return AudienceCount(members: Int(all - optedOut), optedOut: Int(optedOut), unreachable: Int(unreachable))
        }
        return AudienceCount(members: 0, optedOut: 0)
    }

    /// Shared SQL with its text arguments bound in order.
    static func query(_ q: (sql: String, arguments: [String])) -> PostgresQuery {
        var binds = PostgresBindings(capacity: q.arguments.count)
        for a in q.arguments { binds.append(a) }
        return PostgresQuery(unsafeSQL: q.sql, binds: binds)
    }
}
