import CarecronDomain
import CarecronStorage
import Foundation
import PostgresNIO

// Customers found the way a person looks for them, with the same lookups as the SQLite store.

extension PostgresStore: CustomerSearchStore {
    public func searchCustomers(_ text: String, limit: Int) async throws -> [CustomerMatch] {
        let sql = CustomerSearchSQL(dialect: .postgres)
        var found: [CustomerMatch] = []
        var seen = Set<String>()
        for lookup in CustomerSearchSQL.lookups(text) where found.count < limit {
            let rows = try await db.client.query(Self.query(sql.statement(lookup, limit: limit)), logger: logger)
            for try await (id, name, phone, email) in rows.decode((String, String, String?, String?).self) where seen.insert(id).inserted {
                found.append(CustomerMatch(id: id, name: name, phone: phone, email: email, matched: CustomerSearchSQL.field(lookup)))
            }
        }
        return Array(found.prefix(limit))
    }

    public func customerNames(_ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        var out: [String: String] = [:]
        for try await (id, name) in try await db.client.query("SELECT id, full_name FROM customers WHERE id = ANY(\(ids))", logger: logger)
            .decode((String, String).self) {
            out[id] = name
        }
        return out
    }
}
