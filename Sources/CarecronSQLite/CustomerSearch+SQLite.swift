import CarecronDomain
import CarecronStorage
import Algorithms
import Foundation
import GRDB

extension Store: CustomerSearchStore {
    public func searchCustomers(_ text: String, limit: Int) throws -> [CustomerMatch] {
        let sql = CustomerSearchSQL(dialect: .sqlite)
        return try db.read { db in
            var found: [CustomerMatch] = []
            var seen = Set<String>()
            for lookup in CustomerSearchSQL.lookups(text) where found.count < limit {
                let q = sql.statement(lookup, limit: limit)
                for row in try Row.fetchAll(db, sql: q.sql, arguments: StatementArguments(q.arguments)) where seen.insert(row[0]).inserted {
                    found.append(CustomerMatch(id: row[0], name: row[1], phone: row[2], email: row[3], matched: CustomerSearchSQL.field(lookup)))
                }
            }
            return Array(found.prefix(limit))
        }
    }

    public func customerNames(_ ids: [String]) throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        return try db.read { db in
            var out: [String: String] = [:]
            for chunk in ids.chunks(ofCount: 500).map(Array.init) {
                let sql = "SELECT id, full_name FROM customers WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(chunk)) { out[row[0]] = row[1] }
            }
            return out
        }
    }
}
