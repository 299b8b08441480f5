import CarecronDomain
import Foundation

/// What the console's outbox page asks for: messages of any state, filtered, newest first, a
/// page at a time by key (`before`: the last id of the page above), so that a page deep in ten
/// million rows costs what the first one does.
public struct OutboxHistoryQuery: Sendable, Equatable {
    public var states: [OutboxState] = []
    public var job: String?
    public var channel: String?
    /// The customers whose messages are wanted (what a name typed in the filter found).
    public var customerIds: [String]?
    /// Due from (inclusive) and to (exclusive).
    public var dueFrom: Date?
    public var dueTo: Date?
    public var before: Int64?
    public var limit = 50

    public init() {}
}

/// The history's SQL for both stores, with their placeholders; every argument is text or an
/// integer written in.
public struct OutboxHistorySQL: Sendable {
    public let sql: String
    public let arguments: [String]

    public init(_ q: OutboxHistoryQuery, dialect: AudienceSQL.Dialect) {
        var arguments: [String] = []
        func bind(_ value: String) -> String {
            arguments.append(value)
            return dialect == .sqlite ? "?" : "$\(arguments.count)"
        }
        var conditions: [String] = []
        if !q.states.isEmpty {
            // Sent messages are nearly all of a grown outbox: walking the primary key backwards
            // finds a page of them at once, while SQLite would otherwise read them all through the
            // state index and sort them (`+` keeps it off the index). The rarer states are few: the
            // index finds them all and the sort is small.
            let column = dialect == .sqlite && q.states.contains(.sent) ? "+state" : "state"
            conditions.append("\(column) IN (\(q.states.map { bind($0.rawValue) }.joined(separator: ",")))")
        }
        if let job = q.job { conditions.append("job = \(bind(job))") }
        if let channel = q.channel { conditions.append("channel = \(bind(channel))") }
        if let customers = q.customerIds { conditions.append("customer_id IN (\(customers.isEmpty ? "NULL" : customers.map { bind($0) }.joined(separator: ",")))") }
        if let from = q.dueFrom { conditions.append("due_at >= \(Int(from.timeIntervalSince1970))") }
        if let to = q.dueTo { conditions.append("due_at < \(Int(to.timeIntervalSince1970))") }
        if let before = q.before { conditions.append("id < \(before)") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        sql = "SELECT * FROM outbox \(filter) ORDER BY id DESC LIMIT \(max(1, min(q.limit, 500)))"
        self.arguments = arguments
    }
}

/// What became of a planned occurrence: its message in the outbox and that message's state.
public struct PlannedMessageState: Sendable, Equatable {
    public let id: Int64
    public let state: OutboxState

    public init(id: Int64, state: OutboxState) {
        self.id = id
        self.state = state
    }
}
