import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the demo shop (demo/*.csv), check the jobs, and fast-forward its first day through the console.",
        discussion: "Nothing leaves the machine: the messages of 1 December 2026 are printed as the console sender prints them.")

    @Option(help: "the day to fast-forward (YYYY-MM-DD)") var day = "2026-12-01"
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let store = try await options.openStore(config, creating: true)
        let folder = config.folder.appendingPathComponent("demo")
        for kind in ImportKind.allCases {
            let file = folder.appendingPathComponent("\(kind.rawValue).csv").path
            _ = try await ImportRunner.run(kind, file: file, strict: true, store: store, config: config)
        }
        say("database: \(store.location)")
        say("jobs: \(jobs.map { "\($0.name)\($0.enabled ? "" : " (disabled)")" }.joined(separator: ", "))")
        guard let date = LocalDate(iso: day) else { throw ValidationError("--day: \"\(day)\" is not YYYY-MM-DD") }
        let from = config.clock.startOfDay(date), to = config.clock.startOfDay(date.adding(days: 1))
        let planner = CarePlanner(policy: config.policy, jobs: jobs)
        let input = try await store.planningInput(for: planner, from: from, to: to)
        say("\nfast-forwarding \(date) (shop time), as the console sender would print it:\n")
        let console = ConsoleSender(name: "console")
        for e in planner.plan(input, from: from, to: to) {
            let time = config.clock.timeOfDay(of: e.at)
            if e.kind == .expire {
                say("\(time)  order \(e.orderId ?? "") expires (unpaid for \(config.holdFor))")
                        continue
            }
            guard let channel = e.channel, let to = e.to, let text = e.text else { continue }
            say("\(time)  ", newline: false)
            var message = OutgoingMessage(id: 0, idempotencyKey: e.keys.joined(separator: "+"), job: e.job,
                                          channel: channel.rawValue, to: to, subject: e.subject, text: text)
            message.orderIds = e.orderIds
            _ = await console.send(message)
        }
        say("\nTo run the scheduler for real: carecron run   (Ctrl-C stops it)")
    }

    /// Unbuffered, so that these lines and the console sender's stay in order.
    private func say(_ line: String, newline: Bool = true) {
        FileHandle.standardOutput.write(Data((line + (newline ? "\n" : "")).utf8))
    }
}
