import CarecronConfig
import CarecronDelivery
import CarecronDomain
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
        if !dryRun { try await RecoveryStep(store: store, log: log).run(dispatcher: await runtime.current.dispatcher, now: upSince) }
        let outage = CatchUpFirst.isOutage(lastSeen: lastSeen, upSince: upSince, heartbeatInterval: heartbeatInterval)
        if let lastSeen, outage {
            let clock = await runtime.current.config.clock
            log.notice("catching up after an outage", metadata: ["down_since": "\(InstantFormat.format(lastSeen, clock: clock))"])
        }
        await health.integrityCheckStarted()
        notifier.notify("READY=1\nSTATUS=scheduling")
        log.info("carecron started", metadata: ["dry_run": "\(dryRun)", "database": "\(store.location)"])
        let integrity = Task.detached { [store, health, log, wakeup, clock] in
            await IntegrityCheck.run(store: store, health: health, log: log, clock: clock, wakeup: wakeup)
        }
        defer { integrity.cancel() }
        let stopping = StopFlag()
        // The loop ends after its pass in flight (sends finish). A pass held by a database call
        // that never returns (PostgresNIO once left one waiting after the server ended its
        // connections) gets `stopGrace`, then the service stops without it: nothing it began
        // is committed, and the next start takes it up again.
        let ended = await GracefulStop.run(grace: Self.stopGrace, onStop: {
            stopping.set()
            self.notifier.notify("STOPPING=1")
            Task { await self.wakeup.ring() }
        }) {
            // The loop's own: steps and state live on its task alone.
            let steps = self.steps(upSince: upSince)
            let state = SchedulerState(lastSeen: lastSeen, upSince: upSince, catchingUp: outage && !self.dryRun)
            while !stopping.isSet {
                let nextWake = try await self.pass(steps, state, keepGoing: { !stopping.isSet })
                await self.wakeup.sleep(self.sleepDuration(until: nextWake))
            }
        }
        guard let ended else {
            await health.abandonedPass()
            if Task.isCancelled { return }
            log.warning("the scheduler's pass did not finish within \(Self.stopGrace.components.seconds) s of the stop (a database call that never answered); stopping without it")
            return
        }
        try ended.get()
        log.info("carecron stopped")
    }

    /// How long a stop waits for the pass in flight: within the service group's 20 s, with the
    /// node's 8 s to finish its round and resign after it.
    static let stopGrace = Duration.seconds(9)

    /// How long to sleep until `nextWake`, by the service's own clock (under `run --clock-start`
    /// it is not the system's: measured against the system's, a rehearsal of a past day never
    /// slept and one of a future day slept for days).
    func sleepDuration(until nextWake: Date) -> TimeInterval { max(0, nextWake.timeIntervalSince(clock.now())) }

    /// The scheduler's steps, in the order each pass runs them.
    func steps(upSince: Date) -> [any SchedulerStep] {
        [TakeOverStep(store: store, heartbeatInterval: heartbeatInterval, log: log), CatchUpStep(store: store, log: log),
         PlanStep(store: store, preview: preview, upSince: upSince, log: log), CampaignPagesStep(store: store, log: log),
         FallbackStep(store: store, log: log), DrainStep(store: store), CareTeamStep(store: store, log: log),
         LeaderChore.purge(store, startingAt: upSince, log: log),
         LeaderChore.outcomes(store, startingAt: upSince, log: log), HeartbeatStep(store: store)]
    }

    /// One pass: every step in order, unless the store is damaged; when to wake next (at the
    /// latest half the systemd watchdog's interval, or the heartbeat's).
    func pass(_ steps: [any SchedulerStep], _ state: SchedulerState, keepGoing: @escaping @Sendable () -> Bool) async throws -> Date {
        let now = clock.now()
        let watchdog = SystemdNotifier.watchdogInterval()
        defer { if watchdog != nil { notifier.notify("WATCHDOG=1") } }
        var nextWake = now.addingTimeInterval(min(heartbeatInterval, watchdog.map { $0 / 2 } ?? heartbeatInterval))
        if await health.integrityPending {
            // Nothing is planned or sent before the start-up check's verdict; it rings when done.
            notifier.notify("STATUS=checking the database before sending")
            return nextWake
        }
        if await health.databaseDamage != nil {
            // Nothing is planned or sent from a damaged store; /readyz and status say why.
            notifier.notify("STATUS=database damaged: restore the last backup")
            return nextWake
        }
        do {
            let pass = SchedulerPass(now: now, runtime: await runtime.current, leads: role.mayPlan(), writes: preview == nil,
                                     fresh: await wakeup.takeNews(), keepGoing: keepGoing)
            for step in steps {
                if let wanted = try await step.run(pass, state) { nextWake = min(nextWake, wanted) }
            }
        } catch where store.isDamage(error) {
            let why = store.explain(error)
            log.critical("cannot work: \(why)", metadata: ["database": "\(store.location)"])
            await health.damaged(why)
            throw DatabaseDamaged(description: why)
        } catch {
            state.memo = nil
            log.error("scheduler step failed: \(error)")
        }
        return nextWake
    }
}

/// The scheduler met a damaged page: `run` exits non-zero rather than plan from what it can read.
public struct DatabaseDamaged: CodedError, CustomStringConvertible {
    public var code: ErrorCode { .databaseDamaged }
    public let description: String
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
