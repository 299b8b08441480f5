import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Logging
import ServiceLifecycle

/// What the service runs on; swapped whole when a valid configuration is reloaded.
public struct Runtime: Sendable {
    public let config: ShopConfig
    public let jobs: [JobDefinition]
    public let dispatcher: Dispatcher?
    public let loadedAt: Date

    public init(config: ShopConfig, jobs: [JobDefinition], dispatcher: Dispatcher?, loadedAt: Date = WallClock.system.now()) {
        self.config = config
        self.jobs = jobs
        self.dispatcher = dispatcher
        self.loadedAt = loadedAt
    }
}

/// Holds the current runtime for the loop, the HTTP API and reloads.
public actor RuntimeBox {
    public private(set) var current: Runtime
    public init(_ r: Runtime) { current = r }
    public func replace(_ r: Runtime) { current = r }
}

/// The scheduler: plans what is due into the outbox, sends it, sleeps until the next due instant
/// (or until woken by new data or a reload), and says it is alive (heartbeat, systemd watchdog).
public final class CareService: Service, Sendable {
    public let store: any CareStore
    public let runtime: RuntimeBox
    public let wakeup: Wakeup
    let dryRun: Bool
    let log: Logger
    let notifier = SystemdNotifier()
    let preview: PreviewSink?
    let heartbeatInterval: TimeInterval
    public let health: ServiceHealth
    /// Whether this process plans (always on SQLite; on PostgreSQL while it leads). Every node sends.
    let role: any PlanningRole
    let clock: WallClock

    public init(store: any CareStore, runtime: RuntimeBox, wakeup: Wakeup, dryRun: Bool, previewFile: URL?, log: Logger,
                health: ServiceHealth = ServiceHealth(), heartbeatInterval: TimeInterval = 60, role: any PlanningRole = SoleNode(),
                clock: WallClock = .system) {
        self.store = store
        self.role = role
        self.clock = clock
        self.health = health
        self.runtime = runtime
        self.wakeup = wakeup
        self.dryRun = dryRun
        self.log = log
        self.preview = dryRun ? PreviewSink(file: previewFile, log: log) : nil
        self.heartbeatInterval = heartbeatInterval
    }

    public func run() async throws {
        let upSince = clock.now()
        let lastSeen = try await store.heartbeat()
        if !dryRun {
            _ = try await runtime.current.dispatcher?.recordHeldOutcomes()
            let recovered = try await store.outbox.recoverInFlight(now: upSince)
            if recovered > 0 { log.warning("\(recovered) message(s) were being sent when carecron stopped: retried with their idempotency keys") }
        }
        let outage = CatchUpFirst.isOutage(lastSeen: lastSeen, upSince: upSince, heartbeatInterval: heartbeatInterval)
        if let lastSeen, outage {
            let clock = await runtime.current.config.clock
            log.notice("catching up after an outage", metadata: ["down_since": "\(InstantFormat.format(lastSeen, clock: clock))"])
        }
        notifier.notify("READY=1\nSTATUS=scheduling")
        log.info("carecron started", metadata: ["dry_run": "\(dryRun)", "database": "\(store.location)"])
        let integrity = Task.detached { [store, health, log, wakeup, clock] in
            await IntegrityCheck.run(store: store, health: health, log: log, clock: clock)
            await wakeup.ring()
        }
        defer { integrity.cancel() }
        // A small store's verdict is in before the first step (none is planned from a damaged
        // file); a large one's arrives while the service runs. READY was sent already.
        await withTaskGroup(of: Void.self) { race in
            race.addTask { await integrity.value }
            race.addTask { try? await Task.sleep(nanoseconds: 500_000_000) }
            await race.next()
            race.cancelAll()
        }
        let stopping = StopFlag()
        let watchdog = SystemdNotifier.watchdogInterval()
        try await withGracefulShutdownHandler {
            var seen = lastSeen
            var shown = Set<String>()
            var memo: PlanMemo?
            var nextPurge = clock.now()
            var catchingUp = outage && !dryRun
            var planning = PlanningTenure(upSince: upSince)
            while !stopping.isSet {
                let now = clock.now()
                let rt = await runtime.current
                let leads = role.mayPlan()
                if planning.update(leads: leads, now: now) {
                    // This node took over planning from another: it plans from where that one
                    // last planned (its heartbeat), as a restarted service would.
                    memo = nil
                    seen = try? await store.heartbeat()
                    catchingUp = CatchUpFirst.isOutage(lastSeen: seen, upSince: now, heartbeatInterval: heartbeatInterval)
                    log.notice("planning from where the last planner stopped", metadata: [
                        "last_planned": "\(seen.map { InstantFormat.format($0, clock: rt.config.clock) } ?? "never")", "catch_up": "\(catchingUp)"])
                }
                var nextWake = now.addingTimeInterval(min(heartbeatInterval, watchdog.map { $0 / 2 } ?? heartbeatInterval))
                if await health.databaseDamage != nil {
                    // Nothing is planned or sent from a damaged store; /readyz and status say why.
                    notifier.notify("STATUS=database damaged: restore the last backup")
                    if watchdog != nil { notifier.notify("WATCHDOG=1") }
                    await wakeup.sleep(max(0, nextWake.timeIntervalSinceNow))
                    continue
                }
                do {
                    var planner = OutboxPlanner(store: store, config: rt.config, jobs: rt.jobs)
                    planner.includesPagedJobs = preview != nil
                    let fresh = await wakeup.takeNews()
                    if let preview {
                        let (events, next) = try await planner.due(now: now, upSince: planning.since, lastSeen: seen, memo: &memo, fresh: fresh)
                        // In a dry run nothing is written: each event is shown once, when it falls due.
                        for e in events where e.at >= upSince.addingTimeInterval(-60) && shown.insert(e.keys.joined(separator: "+")).inserted {
                            await preview.show(e, clock: rt.config.clock)
                        }
                        if let next { nextWake = min(nextWake, next) }
                    } else {
                        if leads {
                            if catchingUp {
                                catchingUp = false
                                let first = try await CatchUpFirst(planner, dispatcher: rt.dispatcher)
                                    .run(now: now, upSince: planning.since, lastSeen: seen, keepGoing: { !stopping.isSet })
                                log.info("caught up the orders' own messages first", metadata: [
                                    "planned": "\(first.planned.planned)", "sent": "\(first.sent.sent)", "expired_orders": "\(first.planned.expired)"])
                            }
                            let step = try await planner.step(now: now, upSince: planning.since, lastSeen: seen, memo: &memo, fresh: fresh)
                            if step.planned > 0 || step.expired > 0 {
                                log.info("planned", metadata: ["messages": "\(step.planned)", "expired_orders": "\(step.expired)"])
                            }
                            if let next = step.nextDue { nextWake = min(nextWake, next) }
                            let campaigns = try await CampaignStep(store: store, config: rt.config, jobs: rt.jobs)
                                .step(now: now, keepGoing: { !stopping.isSet }, log: log)
                            if let next = campaigns.nextStart { nextWake = min(nextWake, next) }
                        }
                        if let d = rt.dispatcher, try await d.drain(while: { !stopping.isSet }).sentReminders > 0 {
                            // The next reminders are timed from these real sendings: plan anew.
                            memo = nil
                        }
                        let outbox = store.outbox
                        if let due = try await outbox.nextDue() { nextWake = min(nextWake, due) }
                        Metrics.backlog(try await outbox.counts())
                        if leads, now >= nextPurge {
                            // Hourly; sooner while a large backlog of old messages is purged a pass at a time.
                            let pass = try await OutboxRetention.run(store, keepFor: rt.config.outboxKeepFor, now: now)
                            if pass.messages + pass.keys > 0 {
                                log.info("outbox purged", metadata: ["messages": "\(pass.messages)", "keys": "\(pass.keys)",
                                                                     "keep_for": "\(rt.config.outboxKeepFor)"])
                            }
                            nextPurge = now.addingTimeInterval(pass.finished ? 3600 : 1)
                            if !pass.finished { nextWake = min(nextWake, nextPurge) }
                        }
                    }
                    if leads {
                        // The heartbeat says when the store was last planned for: a node taking
                        // over (or this one, restarted) plans from there.
                        try await store.beat(now)
                        seen = now
                    }
                } catch where store.isDamage(error) {
                    let why = store.explain(error)
                    log.critical("cannot work: \(why)", metadata: ["database": "\(store.location)"])
                    await health.damaged(why)
                    throw DatabaseDamaged(description: why)
                } catch {
                    memo = nil
                    log.error("scheduler step failed: \(error)")
                }
                if watchdog != nil { notifier.notify("WATCHDOG=1") }
                await wakeup.sleep(max(0, nextWake.timeIntervalSinceNow))
            }
        } onGracefulShutdown: {
            stopping.set()
            self.notifier.notify("STOPPING=1")
            Task { await self.wakeup.ring() }
        }
        log.info("carecron stopped")
    }
}

/// The scheduler met a damaged page: `run` exits non-zero rather than plan from what it can read.
public struct DatabaseDamaged: CodedError, CustomStringConvertible {
    public var code: ErrorCode { .databaseDamaged }
    public let description: String
}

/// When this node began planning: at start-up on its own store; when it took over from another
/// node on a shared one.
struct PlanningTenure {
    private(set) var since: Date
    private var leading = false
    private var first = true

    init(upSince: Date) { since = upSince }

    /// Records whether this node plans now; true when it has just taken over from another node
    /// (not at its own start, which the start-up's catch-up covers).
    mutating func update(leads: Bool, now: Date) -> Bool {
        defer { leading = leads; first = false }
        guard leads, !leading else { return false }
        if first { return false }
        since = now
        return true
    }
}

public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    private var sources: [any DispatchSourceSignal] = []
    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }

    public init() {}

    /// A flag that SIGINT or SIGTERM sets, instead of ending the process there and then: a command
    /// that sends lets what is on the wire finish (and outcomes the store refuses stay held).
    public static func onSignals(_ signals: [Int32] = [SIGINT, SIGTERM]) -> StopFlag {
        let flag = StopFlag()
        flag.sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { flag.set() }
            source.resume()
            return source
        }
        return flag
    }
}

/// `--dry-run`'s sender: every message that would go out, logged and written as one JSON line.
actor PreviewSink {
    let file: URL?
    let log: Logger

    init(file: URL?, log: Logger) {
        self.file = file
        self.log = log
    }

    func show(_ e: PlannedEvent, clock: ShopClock) {
        let at = InstantFormat.format(e.at, clock: clock)
        if e.kind == .expire {
            log.info("dry run: would expire", metadata: ["job": "\(e.job)", "order": "\(e.orderId ?? "-")", "at": "\(at)"])
        } else {
            log.info("dry run: would send", metadata: ["job": "\(e.job)", "orders": "\(e.orderIds.joined(separator: ","))",
                                                       "customer": "\(e.customerId)", "channel": "\(e.channel?.rawValue ?? "-")",
                                                       "to": "\(Masking.contact(e.to ?? ""))", "at": "\(at)"])
        }
        guard let file else { return }
        var line = Data(JSONValue.ordered(e.jsonFields(clock: clock)).encoded.utf8)
        line.append(0x0A)
        if !FileManager.default.fileExists(atPath: file.path) {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        if let h = try? FileHandle(forWritingTo: file) {
            h.seekToEndOfFile()
            h.write(line)
            try? h.close()
        }
    }
}
