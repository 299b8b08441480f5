import CarecronDomain
import Foundation

// The store's seams: what the rest of carecron needs from a database, named for what it holds.
// The SQLite store implements them today; a shared database (PostgreSQL) implements them next,
// and `StoreContractTests` runs unchanged against both. Each method states its guarantee.

/// Customers and orders, as shops send them in.
public protocol CustomerOrderStore: Sendable {
    /// Upserts one customer or order, normalised as an import row; repeating it changes nothing.
    func upsert(_ kind: ImportKind, _ fields: [String: String], clock: ShopClock, holdFor: TimeSpan, now: Date) async throws -> RecordWriter.Outcome
    /// Marks unpaid orders expired, once (a payment recorded first wins); how many it marked.
    func expire(orderIds: [String], at: Date, now: Date) async throws -> Int
    /// Erases a customer with their orders and messages, keeping anonymous counts.
    func forget(customerId: String, now: Date) async throws -> Bool
    func customerCount() async throws -> Int
}

/// The outbox: every planned message, written before anything is sent (README, "Delivery guarantee").
public protocol OutboxStore: Sendable {
    /// Adds a message unless one of its occurrence keys was ever planned: one atomic step, so no
    /// occurrence is planned twice, whoever plans.
    func enqueue(keys: [String], job: String, customerId: String?, orderIds: [String], reminder: Int?,
                 renderings: [Rendering], dueAt: Date, now: Date) async throws -> Bool
    /// Takes due messages for sending; two callers never take the same message.
    func claimDue(now: Date, limit: Int) async throws -> [OutboxMessage]
    func unclaim(_ id: Int64) async throws
    func postpone(_ id: Int64, reason: String, until next: Date) async throws
    func recoverInFlight(now: Date) async throws -> Int
    func markSent(_ id: Int64, providerId: String?, at: Date) async throws
    func markRetry(_ id: Int64, error: String, at next: Date, now: Date) async throws
    func markDead(_ id: Int64, error: String, now: Date) async throws
    func markCancelled(_ id: Int64, reason: String, now: Date) async throws
    func fallBack(_ m: OutboxMessage, error: String, now: Date) async throws -> Bool
    func list(state: OutboxState?, limit: Int) async throws -> [OutboxMessage]
    func retry(ids: [Int64]?, now: Date) async throws -> Int
    func drop(_ id: Int64, now: Date) async throws -> Bool
    func counts() async throws -> [OutboxState: Int]
    func nextDue() async throws -> Date?
}

/// What the planner reads for a span, and a token that changes when others write.
public protocol PlanningSource: Sendable {
    func planningInput(from: Date, to: Date, lookback: TimeInterval, checkinDays: Int, clock: ShopClock,
                       ordersFromPlacement: Bool) async throws -> PlanningInput
    /// Changes whenever another process commits (SQLite: `PRAGMA data_version`).
    func dataVersion() async throws -> Int
}

/// The running service's own facts: when it was last alive, its last integrity verdict.
public protocol ServiceStateStore: Sendable {
    func heartbeat() async throws -> Date?
    func beat(_ at: Date) async throws
    func recordIntegrity(_ problems: [String], at: Date) async throws
    func lastIntegrity() async throws -> (at: Date, problems: [String])?
}

extension Store: CustomerOrderStore, PlanningSource, ServiceStateStore {
    public func planningInput(from: Date, to: Date, lookback: TimeInterval, checkinDays: Int, clock: ShopClock,
                              ordersFromPlacement: Bool) throws -> PlanningInput {
        try PlanningQueries(store: self).input(from: from, to: to, lookback: lookback, checkinDays: checkinDays, clock: clock,
                                               ordersFromPlacement: ordersFromPlacement)
    }
}

extension Outbox: OutboxStore {}
