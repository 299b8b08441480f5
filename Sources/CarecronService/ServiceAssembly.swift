import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Why the service does not start: the lines to print, as `validate` words them, and the exit code.
public struct StartRefusal: CodedError, Sendable {
    public var code: ErrorCode { .startRefused }
    public let lines: [String]
    public let exitCode: Int32
}

/// What `carecron run` runs, assembled in one place (the CLI, the tests and the console use it):
/// the instance lock, the store, the senders and dispatcher, the scheduler, the HTTP API, and the
/// reload on SIGHUP.
public final class AssembledService: Sendable {
    public let store: any CareStore
    public let runtime: RuntimeBox
    public let wakeup: Wakeup
    public let health: ServiceHealth
    let services: [any Service]
    let lock: InstanceLock?
    let log: Logger

    init(store: any CareStore, runtime: RuntimeBox, wakeup: Wakeup, health: ServiceHealth, services: [any Service], lock: InstanceLock?, log: Logger) {
        self.store = store
        self.runtime = runtime
        self.wakeup = wakeup
        self.health = health
        self.services = services
        self.lock = lock
        self.log = log
    }

    /// Takes the instance lock (SQLite) or joins the nodes (PostgreSQL), builds the senders
    /// (refusing to start when a channel's sender or an API secret cannot be had), opens (and on
    /// first start creates) the store, and wires the scheduler, the API and the reload, all on one clock.
    public static func assemble(configURL: URL, config: ShopConfig, jobs: [JobDefinition], dryRun: Bool,
                                log: Logger, clock: WallClock = .system) async throws(StartRefusal) -> AssembledService {
        // One process per SQLite file; on a shared database any number of nodes, one of them planning.
        var lock: InstanceLock?
        if config.postgres == nil {
            do {
                // A fresh folder has no var/ yet: the service makes it (and its database) as import does.
                try Store.createFolderIfMissing(config.database)
                lock = try InstanceLock(database: config.database)
            } catch {
                throw StartRefusal(lines: ["\(error)"], exitCode: 1)
            }
        }
        let built = dryRun ? nil : SenderFactory.build(config)
        if let built { try DeliveryAssembly.refuseUnbuildableChannels(config, built, command: "run") }
        let secrets = try httpSecrets(config)
        let store: any CareStore
        do { store = try await StoreOpening.open(config, access: .create, log: log) } catch {
            throw StartRefusal(lines: ["carecron run: \(error)"], exitCode: 1)
        }
        let wakeup = Wakeup(), health = ServiceHealth()
        // A dry run writes nothing, so it never leads: it must not keep the real nodes from planning.
        let node = (store as? PostgresStore).flatMap { dryRun ? nil : ClusterNode(store: $0, wakeup: wakeup, log: log) }
        let role: any PlanningRole = node ?? (store is PostgresStore ? Onlooker() as any PlanningRole : SoleNode())
        _ = Metrics.bootstrap()
        let runtime = RuntimeBox(Runtime(config: config, jobs: jobs,
                                         dispatcher: built.map { DeliveryAssembly.dispatcher(config, jobs, store: store, built: $0, log: log, clock: clock) },
                                         loadedAt: clock.now()))
        let reloader = Reloader(url: configURL, store: store, runtime: runtime, wakeup: wakeup, dryRun: dryRun, log: log, clock: clock)
        // The node comes first: ServiceLifecycle stops services last to first, so it resigns
        // and leaves only once the scheduler has finished its sends.
        var services: [any Service] = node.map { [$0] } ?? []
        services += [
            CareService(store: store, runtime: runtime, wakeup: wakeup, dryRun: dryRun,
                        previewFile: config.database.deletingLastPathComponent().appendingPathComponent("dry-run.jsonl"), log: log,
                        health: health, role: role, clock: clock),
            ReloadOnHangup(reloader: reloader),
        ]
        if let http = config.http, let (token, webhookSecret) = secrets {
            let console = ConsoleAssembly.console(config, http: http, store: store, runtime: runtime, wakeup: wakeup, log: log, clock: clock) {
                await reloader.reload()
            }
            let api = HTTPAPI(store: store, runtime: runtime, wakeup: wakeup, token: token, webhookSecret: webhookSecret,
                              maxBody: http.maxBodyBytes, health: health, clock: clock, console: console)
            services.append(api.application(host: http.host, port: http.port, limits: http.limits, log: log))
            log.info("HTTP API listening", metadata: ["address": "\(http.host):\(http.port)"])
        }
        return AssembledService(store: store, runtime: runtime, wakeup: wakeup, health: health, services: services, lock: lock, log: log)
    }

    /// Runs until SIGTERM or SIGINT (in-flight sends finish, 20 s at most). Throws
    /// `DatabaseDamaged` when the scheduler meets a damaged page.
    public func run() async throws {
        var config = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                               gracefulShutdownSignals: [.sigterm, .sigint], logger: log)
        config.maximumGracefulShutdownDuration = .seconds(20)
        try await ServiceGroup(configuration: config).run()
        await sealAfterStop()
        withExtendedLifetime(lock) {}
    }

    /// After the last write of a clean stop, before the instance lock is let go: the seal that
    /// lets the next start skip reading the whole file (never over a damaged one, nor while a
    /// whole check is still reading it).
    func sealAfterStop() async {
        if let damage = await health.databaseDamage {
            log.notice("the database is not sealed at this stop: it is damaged (\(damage)); the next start checks the whole file")
            return
        }
        guard await health.beginSeal() else {
            log.notice("the database is not sealed at this stop: its integrity check or the scheduler's last pass had not finished; the next start checks the whole file")
            return
        }
        do {
            if let seal = try await store.sealCleanStop(at: Date()) {
                log.info("database sealed at a clean stop: the next start reads only its header", metadata: ["seal": "\(seal.path)"])
            }
        } catch {
            log.warning("the database could not be sealed at this stop (\(store.explain(error))); the next start checks the whole file")
        }
    }

    /// The API's token and webhook secret; a missing one stops the start with the line
    /// `validate` warns with.
    static func httpSecrets(_ config: ShopConfig) throws(StartRefusal) -> (token: String, webhookSecret: String?)? {
        guard let http = config.http else { return nil }
        func resolve(_ ref: SecretRef, _ path: String) throws(StartRefusal) -> String {
            do { return try ref.resolve(relativeTo: config.folder) } catch {
                throw StartRefusal(lines: ["\(config.file.lastPathComponent): \(path): \(error)",
                                           "carecron run: a secret of the HTTP API cannot be resolved; not starting (run `carecron validate`)"],
                                   exitCode: 2)
            }
        }
        let token = try resolve(http.token, "http.token")
        return (token, try http.webhookSecret.map { ref throws(StartRefusal) in try resolve(ref, "http.webhookSecret") })
    }
}

/// The delivery side built from the configuration, for the service and `outbox send`.
public enum DeliveryAssembly {
    /// The dispatcher over senders already built; those that could not be are unavailable: their
    /// messages wait (and `/readyz` fails) until a reload brings them back.
    public static func dispatcher(_ config: ShopConfig, _ jobs: [JobDefinition], store: any CareStore,
                                  built: (senders: [String: any Sender], problems: [SenderProblem]), log: Logger,
                                  clock: WallClock = .system) -> Dispatcher {
        for p in built.problems { log.error("sender unavailable, its messages wait: \(config.file.lastPathComponent): \(p.line)") }
        return Dispatcher(store: store, senders: built.senders, channels: config.channels, jobs: jobs,
                          unavailable: Dictionary(built.problems.map { ($0.sender, $0.reason) }, uniquingKeysWith: { a, _ in a }),
                          retry: config.retryPolicy, now: clock.now, log: log, journal: outcomeJournal(config, store: store, log: log),
                          callDesk: CallDesk(store: store, roster: config.console.roster, clock: config.clock, jobs: jobs, now: clock.now))
    }

    /// The journal of outcomes the store refused, beside an SQLite database (PostgreSQL's leases
    /// hand an unfinished message to another node instead).
    static func outcomeJournal(_ config: ShopConfig, store: any CareStore, log: Logger) -> OutcomeJournal? {
        guard let sqlite = store as? Store else { return nil }
        do {
            // Beside the file's real path, as the lock: a restart under another name finds it.
            guard let id = try sqlite.storeId() else { return nil }
            return try OutcomeJournal(path: OutcomeJournal.beside(database: try InstanceLock.identity(of: config.database)), storeId: id)
        } catch {
            log.error("no outcome journal: \(error); if the disk fills while sending, a restart sends the messages in flight again (with their keys)")
            return nil
        }
    }

    /// How many outcomes the journal beside an SQLite store holds for it (nil: no journal there).
    public static func heldOutcomes(_ config: ShopConfig, store: Store) -> Int? {
        guard let real = try? InstanceLock.identity(of: config.database), let id = try? store.storeId() else { return nil }
        let path = OutcomeJournal.beside(database: real)
        guard FileManager.default.fileExists(atPath: path), let journal = try? OutcomeJournal(path: path, storeId: id) else { return nil }
        return journal.heldCount
    }

    /// Refuses to start when a sender a channel uses cannot be built: better no service than one
    /// whose messages pile up unseen.
    public static func refuseUnbuildableChannels(_ config: ShopConfig, _ built: (senders: [String: any Sender], problems: [SenderProblem]),
                                                 command: String) throws(StartRefusal) {
        let lines = SenderFactory.channelProblems(config, built.problems)
        guard !lines.isEmpty else { return }
        throw StartRefusal(lines: lines + ["carecron \(command): \(lines.count) sender(s) used by config.json's channels cannot be built; not starting (run `carecron validate`)"],
                           exitCode: 2)
    }
}

/// SIGHUP, through ServiceLifecycle's signal sequence: reload `config.json` and `jobs/`.
struct ReloadOnHangup: Service {
    let reloader: Reloader

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reloader.reload()
        }
    }
}

/// SIGHUP: a valid new configuration takes effect at once; an invalid one is refused, logged,
/// and the running one stays.
actor Reloader {
    let url: URL
    let store: any CareStore
    let runtime: RuntimeBox
    let wakeup: Wakeup
    let dryRun: Bool
    let log: Logger
    let clock: WallClock

    init(url: URL, store: any CareStore, runtime: RuntimeBox, wakeup: Wakeup, dryRun: Bool, log: Logger, clock: WallClock) {
        self.clock = clock
        self.url = url
        self.store = store
        self.runtime = runtime
        self.wakeup = wakeup
        self.dryRun = dryRun
        self.log = log
    }

    func reload() async {
        let loaded = ConfigLoader.load(url)
        guard let config = loaded.config, loaded.isValid else {
            for d in loaded.errors { log.error("reload refused: \(d.description)") }
            log.error("configuration reload refused: \(loaded.errors.count) error(s); the previous configuration keeps running")
            return
        }
        let dispatcher = dryRun ? nil : DeliveryAssembly.dispatcher(config, loaded.jobs, store: store, built: SenderFactory.build(config), log: log,
                                                                 clock: clock)
        await runtime.replace(Runtime(config: config, jobs: loaded.jobs, dispatcher: dispatcher, loadedAt: clock.now()))
        log.notice("configuration reloaded", metadata: ["jobs": "\(loaded.jobs.filter(\.enabled).map(\.name).joined(separator: ","))"])
        await wakeup.ring()
    }
}
