import CarecronPostgres
import CarecronStorage
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Who may plan now. With the embedded store there is one process (the instance lock keeps
/// others away); with a shared database, the node that leads (issue 15).
public protocol PlanningRole: Sendable {
    func mayPlan() -> Bool
}

/// The only process on its store: it always plans.
public struct SoleNode: PlanningRole {
    public init() {}
    public func mayPlan() -> Bool { true }
}

/// This process as one node of several on a shared PostgreSQL database (issue 15). Every third
/// of the lease it beats in the node registry and takes or renews the planner's leadership (the
/// outbox renews its own leases while it sends); while it does not lead it tries again as
/// soon as the leader's lease lapses, or at once when the leader resigns. Notifications from
/// the other nodes nudge the dispatcher. At a stop it resigns and leaves the registry, after the
/// scheduler has finished (it is started first, so ServiceLifecycle stops it last).
public final class ClusterNode: PlanningRole, Service {
    let store: PostgresStore
    let leadership: Leadership
    let registry: NodeRegistry
    let wakeup: Wakeup
    let log: Logger
    /// Rung to renew at once (the leader resigned), instead of at the next third of the lease.
    private let renewal = Wakeup()
    private let term = Mutex<Leadership.Term?>(nil)

    /// This node's id in the registry and the leadership row: its outbox's lease owner.
    public var id: String { store.leasedOutbox.owner }

    public init(store: PostgresStore, wakeup: Wakeup, log: Logger) {
        self.store = store
        self.leadership = Leadership(store.db, node: store.leasedOutbox.owner)
        self.registry = NodeRegistry(store.db)
        self.wakeup = wakeup
        self.log = log
    }

    /// While this node's term is valid by its own clock: a leader that could not renew stops
    /// planning a third of the lease before any other node may take over.
    public func mayPlan() -> Bool { term.withLock { $0?.isValid() ?? false } }

    var lease: Double { store.db.settings.leaseSeconds }

    public func run() async throws {
        log.notice("node joined the shared database", metadata: ["node": "\(id)", "database": "\(store.location)",
                                                                 "lease_seconds": "\(lease)"])
        store.db.keepPoolFresh()
        let keeping = Task { await self.keepUp() }, listening = Task { await self.listen() }
        try? await gracefulShutdown()
        // A stop is never held up by the database: a round in flight gets a moment to finish,
        // and leaving gets a few seconds (a node that cannot resign lets its lease lapse).
        leaving.withLock { $0 = true }
        keeping.cancel()
        listening.cancel()
        await FirstOf.atMost(.seconds(3)) { await keeping.value }
        await FirstOf.atMost(.seconds(5)) { await self.leave() }
    }

    /// Set once the node is stopping: it takes the leadership no more.
    private let leaving = Mutex(false)

    /// Renews everything this node holds, every third of the lease, until cancelled.
    func keepUp() async {
        while !Task.isCancelled, !leaving.withLock({ $0 }) {
            let wait = await renew()
            // A stop must not wait out the pause: cancelling rings the sleep awake.
            await withTaskCancellationHandler {
                await renewal.sleep(wait)
            } onCancel: {
                Task { await self.renewal.ring() }
            }
        }
    }

    /// One round: heartbeat, leadership. Returns how long to wait before the next.
    func renew() async -> TimeInterval {
        let started = ContinuousClock.now
        // A round slower than half the lease is how a leader loses its term unawares: said, with
        // how long it took, so that a hand-over that lags the lease can be traced to it.
        defer {
            let took = ContinuousClock.now - started
            if took > .seconds(lease / 2) {
                log.warning("renewing the heartbeat and the leadership took longer than half the lease: the node is overloaded or the database slow",
                            metadata: ["node": "\(id)", "took": "\(took)", "lease_seconds": "\(lease)"])
            }
        }
        var wait = lease / 3
        do { try await registry.beat(node: id) } catch { log.warning("node heartbeat failed: \(store.explain(error))") }
        let before = term.withLock { $0 }
        do {
            guard !leaving.withLock({ $0 }) else { return 0 }
            let now = try await leadership.acquireOrRenew()
            term.withLock { $0 = now }
            if let now, now.number != before?.number {
                log.notice("this node plans now", metadata: ["node": "\(id)", "term": "\(now.number)"])
                await wakeup.ring()
            } else if now == nil, before != nil {
                log.warning("another node plans now: this one only sends", metadata: ["node": "\(id)"])
            }
            if now == nil { wait = min(wait, try await leadership.lapsesIn() + 0.01) }
        } catch {
            // The term runs out by this node's own clock: planning stops before another can lead.
            log.error("could not renew the planner's leadership: \(store.explain(error))", metadata: ["node": "\(id)"])
            wait = min(wait, 1)
        }
        return max(0.02, wait)
    }

    /// Hears the other nodes: messages written (the dispatcher looks at once) and a leader resigning.
    func listen() async {
        while !Task.isCancelled {
            do {
                try await OutboxWakeups.listen(store.db) { payload in
                    if payload == OutboxWakeups.leaderResigned { await self.renewal.ring() } else { await self.wakeup.nudge() }
                }
            } catch where !Task.isCancelled {
                log.warning("lost the notification connection; polling meanwhile: \(store.explain(error))")
                try? await Task.sleep(for: .seconds(1))
            } catch {}
        }
    }

    /// Resigns (another node need not wait for the lease to lapse) and leaves the registry.
    func leave() async {
        let led = term.withLock { t in defer { t = nil }; return t != nil }
        if led {
            do { try await leadership.resign() } catch { log.warning("could not resign the leadership; it lapses in \(lease) s: \(error)") }
        }
        try? await registry.leave(node: id)
        log.notice("node left the shared database", metadata: ["node": "\(id)", "resigned": "\(led)"])
    }
}

/// A dry run beside real nodes on a shared database: it shows what would be sent, and never
/// plans, leads or beats for them.
public struct Onlooker: PlanningRole {
    public init() {}
    public func mayPlan() -> Bool { false }
}
