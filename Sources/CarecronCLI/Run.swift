import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronStore
import Foundation
import Logging
import ServiceLifecycle

enum LogFormat: String, ExpressibleByArgument { case text, json }

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler (and the HTTP API when config.json has \"http\"): the systemd service.",
        discussion: """
            SIGTERM or SIGINT: stop taking work, finish in-flight sends, exit 0. SIGHUP: reload config.json
            and jobs/; an invalid configuration is refused with its errors in the log and the old one runs on.
            """)

    @Flag(help: "send nothing: every message goes to the log and var/dry-run.jsonl; no order is changed") var dryRun = false
    @Option(help: "text or json (for log shippers)") var logFormat: LogFormat = .text
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        Logs.bootstrap(config.logLevel, json: logFormat == .json)
        let log = Logger(label: "carecron")
        let dry = dryRun || config.dryRun
        let lock: InstanceLock
        do {
            // A fresh folder has no var/ yet: the service makes it (and its database) as import does.
            try Store.createFolderIfMissing(config.database)
            lock = try InstanceLock(database: config.database)
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
        let built = dry ? nil : SenderFactory.build(config)
        if let built { try Delivery.refuseUnbuildableChannels(config, built, command: "run") }
        let httpSecrets = try Self.httpSecrets(config)
        let store = try options.openStore(config, creating: true)
        _ = Metrics.bootstrap()
        let runtime = RuntimeBox(Runtime(config: config, jobs: jobs,
                                         dispatcher: built.map { Delivery.dispatcher(config, jobs, store: store, built: $0) }))
        let wakeup = Wakeup(), health = ServiceHealth()
        let service = CareService(store: store, runtime: runtime, wakeup: wakeup, dryRun: dry,
                                  previewFile: config.database.deletingLastPathComponent().appendingPathComponent("dry-run.jsonl"), log: log,
                                  health: health)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let http = config.http, let (token, webhookSecret) = httpSecrets {
            let api = HTTPAPI(store: store, runtime: runtime, wakeup: wakeup, token: token, webhookSecret: webhookSecret,
                              maxBody: http.maxBodyBytes, health: health)
            services.append(.init(service: api.application(host: http.host, port: http.port, log: log)))
            log.info("HTTP API listening", metadata: ["address": "\(http.host):\(http.port)"])
        }
        let reloader = Reloader(url: options.url, store: store, runtime: runtime, wakeup: wakeup, dryRun: dry, log: log)
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP)
        hup.setEventHandler { Task { await reloader.reload() } }
        hup.resume()
        var groupConfig = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: log)
        groupConfig.maximumGracefulShutdownDuration = .seconds(20)
        do { try await ServiceGroup(configuration: groupConfig).run() } catch let e as DatabaseDamaged {
            Console.error("carecron run: \(e.description)")
            throw ExitCode(1)
        }
        hup.cancel()
        withExtendedLifetime(lock) {}
    }

    static func runtime(_ config: ShopConfig, _ jobs: [JobDefinition], store: Store, dryRun: Bool) throws -> Runtime {
        Runtime(config: config, jobs: jobs, dispatcher: dryRun ? nil : try Delivery.dispatcher(config, jobs, store: store))
    }

    /// The API's token and webhook secret; a missing one stops the start with the line
    /// `validate` warns with.
    static func httpSecrets(_ config: ShopConfig) throws -> (token: String, webhookSecret: String?)? {
        guard let http = config.http else { return nil }
        func resolve(_ ref: SecretRef, _ path: String) throws -> String {
            do { return try ref.resolve(relativeTo: config.folder) } catch {
                Console.error("\(config.file.lastPathComponent): \(path): \(error)")
                Console.error("carecron run: a secret of the HTTP API cannot be resolved; not starting (run `carecron validate`)")
                throw ExitCode(2)
            }
        }
        return (try resolve(http.token, "http.token"), try http.webhookSecret.map { try resolve($0, "http.webhookSecret") })
    }
}

/// SIGHUP: a valid new configuration takes effect at once; an invalid one is refused, logged,
/// and the running one stays.
actor Reloader {
    let url: URL
    let store: Store
    let runtime: RuntimeBox
    let wakeup: Wakeup
    let dryRun: Bool
    let log: Logger

    init(url: URL, store: Store, runtime: RuntimeBox, wakeup: Wakeup, dryRun: Bool, log: Logger) {
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
        do {
            await runtime.replace(try Run.runtime(config, loaded.jobs, store: store, dryRun: dryRun))
            log.notice("configuration reloaded", metadata: ["jobs": "\(loaded.jobs.filter(\.enabled).map(\.name).joined(separator: ","))"])
            await wakeup.ring()
        } catch {
            log.error("configuration reload refused: \(error)")
        }
    }
}
