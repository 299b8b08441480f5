import CarecronDomain
import Foundation

// The store's seams: what the rest of carecron needs from a database, named for what it holds.
// The SQLite store (`Store`, CarecronSQLite) and the shared PostgreSQL store (`PostgresStore`,
// CarecronPostgres) implement them, neither knowing the other, and `StoreContractTests` runs unchanged against both. Each method states its
// guarantee; `StoreOpening` (CarecronService) opens the one config.json names.

/// Customers and orders, as shops send them in.
public protocol CustomerOrderStore: Sendable {
    /// Upserts one customer or order, normalised as an import row; repeating it changes nothing.
    func upsert(_ kind: ImportKind, _ fields: [String: String], clock: ShopClock, holdFor: TimeSpan, now: Date) async throws -> UpsertOutcome
    /// Applies an order event (payment, delivery, cancellation) with the order's state rules;
    /// repeating it changes nothing; an impossible one throws `OrderEvents.Failure`.
    func apply(_ event: OrderEvents.Event, orderId: String, at: Date, holdFor: TimeSpan, now: Date) async throws -> UpsertOutcome
    /// Marks unpaid orders expired, once (a payment recorded first wins); how many it marked.
    func expire(orderIds: [String], at: Date, now: Date) async throws -> Int
    /// Erases a customer with their orders and messages, keeping anonymous counts.
    func forget(customerId: String, now: Date) async throws -> Bool
    func customerCount() async throws -> Int
    /// One customer with all their orders, newest first; nil if there is no such customer.
    func customerWithOrders(id: String) async throws -> (customer: CustomerSnapshot, orders: [OrderSnapshot])?
    /// A message's customer and orders as they are now, read at one moment (the re-check at
    /// sending); with `sameJob`, also when the customer was last sent a message of that job
    /// since then (a survey's "at most every N days").
    func sendingFacts(customerId: String?, orderIds: [String], sameJob: (job: String, since: Date)?) async throws -> SendingFacts
}

/// Customers or orders from a file (`carecron import`, `demo`): upserted by id in one
/// transaction, each bad row reported as FILE:LINE and skipped; with `strict`, nothing written
/// unless every row is good.
public protocol FileImportStore: Sendable {
    func importFile(_ file: ImportFile, strict: Bool, clock: ShopClock, holdFor: TimeSpan, now: Date,
                    progress: (@Sendable (Int, Int) -> Void)?) async throws -> ImportReport
}

/// Orders as shop platforms (Shopify, Haravan) report them, and the webhook deliveries applied.
public protocol PlatformOrderStore: Sendable {
    /// Applies one platform order (customer first), the status only moving forward.
    func apply(_ u: PlatformOrderUpdate, now: Date) async throws -> PlatformOrderOutcome
    /// When the platform last changed a stored order, if it said.
    func storedUpdatedAt(orderId: String) async throws -> Date?
    func noteUpdated(orderId: String, at: Date?) async throws
    func exists(orderId: String) async throws -> Bool
    /// Whether a webhook delivery was already applied; `remember` records one (repeating it changes nothing).
    func seen(webhook id: String) async throws -> Bool
    func remember(webhook id: String, topic: String, at: Date) async throws
}

/// The outbox: every planned message, written before anything is sent (README, "Delivery guarantee").
public protocol OutboxStore: DeliveryReceiptStore {
    /// Adds a message unless one of its occurrence keys was ever planned: one atomic step, so no
    /// occurrence is planned twice, whoever plans.
    func enqueue(keys: [String], job: String, customerId: String?, orderIds: [String], reminder: Int?,
                 renderings: [Rendering], dueAt: Date, now: Date) async throws -> Bool
    /// Adds each message unless one of its keys was ever planned, all in one atomic step; which were added.
    func enqueue(_ entries: [OutboxEntry], now: Date) async throws -> [Bool]
    /// Takes due messages for sending; two callers never take the same message.
    func claimDue(now: Date, limit: Int) async throws -> [OutboxMessage]
    /// Whether this process may still start sending a message it claimed. A claim on a shared
    /// database is a lease that can lapse while a node is paused; the embedded store's claims
    /// last until the process ends.
    func stillHolds(_ id: Int64) -> Bool
    func unclaim(_ id: Int64) async throws
    func postpone(_ id: Int64, reason: String, until next: Date) async throws
    func recoverInFlight(now: Date) async throws -> Int
    func markSent(_ id: Int64, providerId: String?, at: Date) async throws
    func markRetry(_ id: Int64, error: String, at next: Date, now: Date) async throws
    func markDead(_ id: Int64, error: String, now: Date) async throws
    func markCancelled(_ id: Int64, reason: String, now: Date) async throws
    /// Records what became of claimed messages, in order, all durable when it returns: the
    /// dispatcher groups the outcomes of concurrent sends into one call.
    func record(_ outcomes: [OutboxOutcome]) async throws
    /// Records which sender took a message's first attempt (shown by `outbox list`).
    func noteSender(_ id: Int64, sender: String) async throws
    func fallBack(_ m: OutboxMessage, error: String, now: Date) async throws -> Bool
    func list(state: OutboxState?, limit: Int) async throws -> [OutboxMessage]
    /// Messages of any state, filtered, newest first, a page at a time (the console's outbox).
    func history(_ query: OutboxHistoryQuery) async throws -> [OutboxMessage]
    /// The message each occurrence key was planned as, with its state (the plan's "what already
    /// happened"); keys never planned, or whose message was purged, are left out.
    func planned(keys: [String]) async throws -> [String: PlannedMessageState]
    func retry(ids: [Int64]?, now: Date) async throws -> Int
    func drop(_ id: Int64, now: Date) async throws -> Bool
    func counts() async throws -> [OutboxState: Int]
    func nextDue() async throws -> Date?
    /// Each job's last planned message: when, and how many the job planned in all.
    func lastPlannedByJob() async throws -> [String: (Date, Int)]
    /// A customer's messages, newest first.
    func messages(customerId: String, limit: Int) async throws -> [OutboxMessage]
    /// One message, if it exists.
    func message(_ id: Int64) async throws -> OutboxMessage?
    /// Each job's messages planned since `since`, by state.
    func countsByJob(since: Date) async throws -> [String: [OutboxState: Int]]
}

/// What the planner reads for a span, and a token that changes when others write.
public protocol PlanningSource: Sendable {
    /// Customers and orders that can have events in [from, to), replaying `lookback` before it:
    /// orders placed up to `holdFor` before the replay (their reminders and expiry reach into
    /// it), delivered or paid within `checkinDays` before it, every order of a customer who paid in it.
    func planningInput(from: Date, to: Date, lookback: TimeInterval, holdFor: TimeInterval, checkinDays: ClosedRange<Int>, clock: ShopClock,
                       ordersFromPlacement: Bool, overdueOrders: Bool) async throws -> PlanningInput
    /// Changes whenever another process commits (SQLite: `PRAGMA data_version`).
    func dataVersion() async throws -> Int
}

/// The running service's own facts: when it was last alive, its last integrity verdict.
public protocol ServiceStateStore: Sendable {
    func heartbeat() async throws -> Date?
    func beat(_ at: Date) async throws
    func recordIntegrity(_ problems: [String], at: Date) async throws
    func lastIntegrity() async throws -> (at: Date, problems: [String])?
    /// Throws when the database cannot be reached now (for `/readyz`).
    func isReachable() async throws -> Bool
    /// What an integrity check finds wrong with the stored data (empty when sound).
    func integrityProblems(limit: Int) async throws -> [String]
    /// The start-up check: what it reads scales with what changed since the last clean stop.
    func startupIntegrity(limit: Int, at: Date) async throws -> StartupIntegrity
    /// The whole check again, in the background, when the last one is old.
    func periodicIntegrityProblems(limit: Int, at: Date) async throws -> [String]
    /// After the service's last write: what lets the next start skip the whole check; where it
    /// was written, or nil.
    func sealCleanStop(at: Date) async throws -> URL?
    /// How long the start-up check may take before sending goes on without its verdict: nil for
    /// a file read whole (minutes at its largest, and nothing may be sent from it unread); a
    /// bound for a server's schema query, which a stuck connection could hold for ever.
    var startupCheckDeadline: Duration? { get }
}

/// What the start-up check read and found.
public struct StartupIntegrity: Sendable {
    public enum Scope: Sendable, Equatable {
        case whole
        /// Nothing has written to the store since a clean stop whose chain began with a whole check.
        case unchangedSinceCleanStop(stoppedAt: Date, lastFullCheck: Date)
    }

    public let scope: Scope
    public let problems: [String]

    public init(scope: Scope, problems: [String]) {
        self.scope = scope
        self.problems = problems
    }
}

/// A store with nothing to seal (PostgreSQL keeps its own pages) checks the whole of what it
/// checks each time.
extension ServiceStateStore {
    public func startupIntegrity(limit: Int, at: Date) async throws -> StartupIntegrity {
        StartupIntegrity(scope: .whole, problems: try await integrityProblems(limit: limit))
    }

    public func periodicIntegrityProblems(limit: Int, at: Date) async throws -> [String] { try await integrityProblems(limit: limit) }

    public func sealCleanStop(at: Date) async throws -> URL? { nil }

    public var startupCheckDeadline: Duration? { .seconds(30) }
}

/// What people did through the console (saves, reverts, test sends, retries, drops).
public protocol AuditStore: Sendable {
    func record(_ entry: AuditEntry) async throws
    /// The newest entries first.
    func recent(limit: Int) async throws -> [AuditEntry]
}

public struct AuditEntry: Sendable, Equatable {
    public var at: Date
    public var user: String
    public var action: String
    public var subject: String
    public var detail: String

    public init(at: Date, user: String, action: String, subject: String, detail: String = "") {
        self.at = at
        self.user = user
        self.action = action
        self.subject = subject
        self.detail = detail
    }
}

/// Everything the service, the CLI and the HTTP API use: one store, named for the shop's data.
public protocol CareStore: CustomerOrderStore, CustomerSearchStore, FileImportStore, PlanningSource, ServiceStateStore, AuditStore, CampaignStore, OutboxRetentionStore, ReplyStore, OutcomeSource, SurveyStore, MeasureSource, CallStore, ConversationStore, CustomerRecentSource {
    var outbox: any OutboxStore { get }
    /// The platforms' orders, read with the shop's clock and hold time.
    func platformOrders(clock: ShopClock, holdFor: TimeSpan) -> any PlatformOrderStore
    /// Where the data lives, for logs and messages (a file's path).
    var location: String { get }
    /// An error of this store in words for ops (naming the file, the permission, the full disk).
    func explain(_ error: any Error) -> String
    /// Whether an error means the stored data is damaged (as opposed to unreachable).
    func isDamage(_ error: any Error) -> Bool
}

extension CareStore {
    /// The low scores answered in [from, to), each with its customer (added to the input when the
    /// span's own orders did not bring them) and the order asked about.
    func lowScores(from: Date, to: Date, into input: inout PlanningInput) async throws -> [LowScore] {
        var out: [LowScore] = []
        for a in try await surveyAnswers(from: from, to: to) where a.isLow {
            var order = input.orders.first { $0.id == a.orderId }
            if input.customers[a.customerId] == nil || (order == nil && !a.orderId.isEmpty),
               let (customer, orders) = try await customerWithOrders(id: a.customerId) {
                if input.customers[a.customerId] == nil { input.customers[a.customerId] = customer }
                order = order ?? orders.first { $0.id == a.orderId }
            }
            out.append(LowScore(job: a.job, customerId: a.customerId, orderId: a.orderId, order: order, measure: a.measure, score: a.score,
                                answeredAt: a.answeredAt))
        }
        return out
    }

    /// The planner's input for [from, to): what its jobs need, replayed over its lookback, with
    /// orders known as far back as `jobs` (the planner's own by default) need them, and the
    /// audiences of their campaigns.
    public func planningInput(for planner: CarePlanner, jobs: [JobDefinition]? = nil, from: Date, to: Date,
                              ordersFromPlacement: Bool = true) async throws -> PlanningInput {
        let jobs = jobs ?? planner.jobs
        var input = try await planningInput(from: from, to: to, lookback: planner.lookback, holdFor: planner.policy.holdFor.interval,
                                            checkinDays: jobs.orderHistoryDays,
                                            clock: planner.policy.clock, ordersFromPlacement: ordersFromPlacement,
                                            overdueOrders: (planner.jobs + jobs).filter { $0.enabled || planner.explain }.readsOverdueOrders)
        if (planner.jobs + jobs).contains(where: { ($0.enabled || planner.explain) && $0.rules.readsLowScores }) {
            input.lowScores = try await lowScores(from: from.addingTimeInterval(-planner.lookback), to: to, into: &input)
        }
        let end = to.addingTimeInterval(planner.lookahead)
        // A customer with a complaint not resolved gets no advertising meanwhile, with that reason in the plan.
        let complaints = try await openComplaints()
        for id in complaints { input.customers[id] = input.customers[id]?.pausingAdvertising }
        for job in planner.jobs + jobs where job.enabled || planner.explain {
            for request in job.rules.audienceSending?.audiences(job, from: from, to: end, shop: planner.policy) ?? [] where input.audiences[request.key] == nil {
                input.audiences[request.key] = try await audience(request, after: nil, limit: Int.max)
                    .map { complaints.contains($0.id) ? $0.pausingAdvertising : $0 }
                switch try await campaignRun(request.key)?.state {
                case .paused: input.haltedCampaigns[request.key] = .paused
                case .cancelled: input.haltedCampaigns[request.key] = .cancelled
                case .writing, nil: break
                }
            }
        }
        return input
    }
}
