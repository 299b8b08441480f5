import CarecronDomain
import Foundation

/// A customer found by what a person typed, and by what it matched.
public struct CustomerMatch: Sendable, Equatable {
    public enum Field: String, Sendable { case id, name, phone, email, order }

    public let id: String
    public let name: String
    public let phone: String?
    public let email: String?
    public let matched: Field

    public init(id: String, name: String, phone: String?, email: String?, matched: Field) {
        self.id = id
        self.name = name
        self.phone = phone
        self.email = email
        self.matched = matched
    }
}

/// Finding customers the way a person would (the console's search box, the plan's filter, the
/// test-send picker), and their names beside their ids.
public protocol CustomerSearchStore: Sendable {
    /// Customers matching `text` as an id, an order id, a phone in any common form, an email, or
    /// the words of a name without accents; at most `limit`, the exact kinds first.
    func searchCustomers(_ text: String, limit: Int) async throws -> [CustomerMatch]
    /// The names of the customers with these ids (missing ids are left out).
    func customerNames(_ ids: [String]) async throws -> [String: String]
}

/// The search's SQL for both stores. Names are matched on two stored folded forms, each with
/// an index: the name as written ("pham thu ha…") and with its words reversed ("ha thu…"), so
/// that the full name, the given name or its last words are an index range, never a scan.
public struct CustomerSearchSQL: Sendable {
    public let dialect: AudienceSQL.Dialect

    public init(dialect: AudienceSQL.Dialect) { self.dialect = dialect }

    /// The kinds of lookup one text calls for, in the order their matches are listed.
    public enum Lookup: Sendable, Equatable {
        case id(String)
        case order(String)
        case phone(String)
        case email(String)
        /// A prefix of the folded name ("pham thu ha…").
        case name(String)
        /// A prefix of the name with its words reversed ("ha thu…": the given name, or the last words).
        case givenName(String)
    }

    public static func lookups(_ text: String) -> [Lookup] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return [] }
        var out: [Lookup] = [.id(trimmed), .order(trimmed)]
        if let phone = SearchText.phone(trimmed) { out.append(.phone(phone)) }
        if trimmed.contains("@") { out.append(.email(trimmed.lowercased())) }
        let folded = SearchText.fold(trimmed)
        if !folded.isEmpty, !folded.allSatisfy(\.isNumber) {
            out += [.name(folded), .givenName(SearchText.givenFirst(folded))]
        }
        return out
    }

    /// One lookup's statement and arguments (each a text).
    public func statement(_ lookup: Lookup, limit: Int) -> (sql: String, arguments: [String]) {
        let p = dialect == .sqlite ? ["?", "?", "?", "?"] : ["$1", "$2", "$3", "$4"]
        let columns = "c.id, c.full_name, c.phone, c.email"
        switch lookup {
        case .id(let id): return ("SELECT \(columns) FROM customers c WHERE c.id = \(p[0])", [id])
        case .order(let id): return ("SELECT \(columns) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = \(p[0])", [id])
        case .phone(let e164): return ("SELECT \(columns) FROM customers c WHERE c.phone = \(p[0]) LIMIT \(limit)", [e164])
        case .email(let email): return ("SELECT \(columns) FROM customers c WHERE lower(c.email) = \(p[0]) LIMIT \(limit)", [email])
        case .name(let prefix): return Self.range("search_name", prefix, columns: columns, p, limit: limit)
        case .givenName(let prefix): return Self.range("search_given", prefix, columns: columns, p, limit: limit)
        }
    }

    /// A prefix as a range (`>= x AND < x + U+FFFF`), read in its index's order up to `limit`:
    /// an index range in both databases whatever their LIKE and collation rules, and never a
    /// sort of every match (a given name shared by tens of thousands).
    static func range(_ column: String, _ prefix: String, columns: String, _ p: [String], limit: Int) -> (sql: String, arguments: [String]) {
        ("SELECT \(columns) FROM customers c WHERE c.\(column) >= \(p[0]) AND c.\(column) < \(p[1]) ORDER BY c.\(column) LIMIT \(limit)",
         [prefix, prefix + "\u{FFFF}"])
    }

    public static func field(_ lookup: Lookup) -> CustomerMatch.Field {
        switch lookup {
        case .id: .id
        case .order: .order
        case .phone: .phone
        case .email: .email
        case .name, .givenName: .name
        }
    }

    /// The stored search forms of a name: (search_name, search_given).
    public static func columns(forName name: String) -> (String, String) {
        let folded = SearchText.fold(name)
        return (folded, SearchText.givenFirst(folded))
    }
}
