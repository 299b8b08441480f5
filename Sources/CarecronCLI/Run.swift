import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronStorage
import Foundation
import Logging

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
    @Option(help: .hidden) var clockStart: String?
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        Logs.bootstrap(config.logLevel, json: logFormat == .json)
        // Hidden, for tests and rehearsals: the service lives a given day (e.g. a scenario's) at real pace.
        let clock = try clockStart.map { WallClock.starting(at: try Instants.parse($0, "--clock-start", config.clock)) } ?? .system
        let service: AssembledService
        do {
            service = try await AssembledService.assemble(configURL: options.url, config: config, jobs: jobs, dryRun: dryRun || config.dryRun,
                                                    log: Logger(label: "carecron"), clock: clock)
        } catch {
            for line in error.lines { Console.error(line) }
            throw ExitCode(error.exitCode)
        }
        do { try await service.run() } catch let e as DatabaseDamaged {
            Console.error("carecron run: \(e.description)")
            throw ExitCode(1)
        }
    }
}
