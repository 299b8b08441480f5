import CarecronConfig
import CarecronConsole
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird
import Logging

/// Whether `run` serves the marketers' console beside the API, and the console it serves.
public enum ConsoleAssembly {
    /// The console for the running service, or nil (with the reason logged): off by
    /// `"http": {"console": false}`, and off on a non-loopback address while no user is configured.
    /// A user whose hash cannot be loaded closes it (its pages say so; see `announce`).
    static func console(_ config: ShopConfig, http: HTTPSettings, store: any CareStore, runtime: RuntimeBox, wakeup: Wakeup, log: Logger,
                        clock: WallClock, reload: @escaping @Sendable () async -> Void) -> Console? {
        guard http.console else { return nil }
        let users = ConsoleUsers(config.console, relativeTo: config.folder)
        announce(users, config: config, log: log)
        if let why = refusal(host: http.host, users: users) {
            log.warning("console off: \(why)")
            return nil
        }
        do {
            let environment = ConsoleEnvironment(store: store, clock: clock, secureCookies: config.console.behindTLS, reload: reload,
                                                 outboxChanged: { await wakeup.nudge() }) {
                let rt = await runtime.current
                return (rt.config, rt.jobs)
            }
            let hosts = ConsoleHosts(listenHost: http.host, port: http.port, allowed: config.console.allowedHosts)
            let console = Console(environment: environment, users: users, views: try Views.load(), hosts: hosts)
            if !users.isClosed { log.info("console served", metadata: ["url": "http://\(http.host):\(http.port)/console/"]) }
            return console
        } catch {
            log.error("console off: \(error)")
            return nil
        }
    }

    /// Why the console may not be served on `host`: without users it is for this machine only.
    public static func refusal(host: String, users: ConsoleUsers) -> String? {
        guard users.isEmpty, !isLoopback(host) else { return nil }
        return "no user in config.json \"console\".\"users\", and \(host) is not a loopback address: add a user (`carecron console passwd USER` prints the hash) or listen on 127.0.0.1"
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Each user whose hash cannot be loaded, and that the console is closed for it.
    static func announce(_ users: ConsoleUsers, config: ShopConfig, log: Logger) {
        for p in users.problems { log.error("console user cannot be loaded: \(config.file.lastPathComponent): \(p)") }
        if users.isClosed {
            log.error("console closed: every configured user must be loaded before it is served (fix config.json's console.users and restart); the API and the scheduler keep working")
        }
    }
}

/// `carecron console`: the console alone, for a marketer's laptop. It reads the store and the
/// job files (read again at each page, so that edits show), and sends nothing.
public struct StandaloneConsole: Sendable {
    public let url: String
    let console: Console
    let host: String
    let port: Int
    let users: ConsoleUsers
    let config: ShopConfig

    public init(configURL: URL, config: ShopConfig, store: any CareStore, host: String, port: Int,
                clock: WallClock = .system) throws(StartRefusal) {
        let users = ConsoleUsers(config.console, relativeTo: config.folder)
        if let why = ConsoleAssembly.refusal(host: host, users: users) { throw StartRefusal(lines: ["carecron console: \(why)"], exitCode: 2) }
        let last = LastGoodConfiguration(config: config)
        let environment = ConsoleEnvironment(store: store, clock: clock, secureCookies: config.console.behindTLS) {
            let loaded = ConfigLoader.load(configURL)
            if let config = loaded.config, loaded.isValid { await last.keep(config, loaded.jobs) }
            return await last.current
        }
        let hosts = ConsoleHosts(listenHost: host, port: port, allowed: config.console.allowedHosts)
        do { console = Console(environment: environment, users: users, views: try Views.load(), hosts: hosts) } catch {
            throw StartRefusal(lines: ["carecron console: \(error)"], exitCode: 1)
        }
        self.host = host
        self.port = port
        self.users = users
        self.config = config
        self.url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/console/"
    }

    /// The server, with the service's connection limits (config.json's `http` ones when it has them).
    public func application(log: Logger) -> some ApplicationProtocol {
        ConsoleAssembly.announce(users, config: config, log: log)
        let router = Router(context: APIRequestContext.self)
        router.get("/") { _, _ in Response.redirect(to: "/console/plan") }
        console.mount(on: router)
        return HTTPServing.application(router: router, host: host, port: port, limits: config.http?.limits ?? ConnectionLimits(), log: log)
    }
}

/// The configuration last read without errors: a half-typed job file does not blank the console.
actor LastGoodConfiguration {
    private(set) var current: (config: ShopConfig, jobs: [JobDefinition])

    init(config: ShopConfig) { current = (config, ConfigLoader.load(config.file).jobs) }

    func keep(_ config: ShopConfig, _ jobs: [JobDefinition]) { current = (config, jobs) }
}
