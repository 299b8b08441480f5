import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what would be sent at an instant, rendered per channel; sends nothing, changes nothing.",
        discussion: "With --sample, render each template of JOB for sample customers, for editing wording.")

    @Argument(help: "a job name (default: every job)") var job: String?
    @Option(help: "the instant (default: now)") var at: String?
    @Option(help: "how far after --at to look (default: 1m)") var within: String = "1m"
    @Option(help: "table or jsonl") var format: OutputFormat = .table
    @Flag(help: "render the job's templates with sample customers") var sample = false
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let selected = try JobSelection.pick(job, from: jobs)
        let at = try self.at.map { try Instants.parse($0, "--at", config.clock) } ?? WallClock.system.now()
        let printer = EventPrinter(clock: config.clock, format: format)
        if sample {
            printer.print(CarePlanner(policy: config.policy, jobs: selected).samples(at: at), extra: lint)
            return
        }
        guard let span = TimeSpan(within), span.seconds > 0 else { throw ValidationError("--within: \"\(within)\" is not a duration") }
        guard span <= .days(31) else { throw ValidationError("--within: \(span) is more than 31 days; use simulate for longer spans") }
        let store = try await options.openExistingStore(config)
        let planner = CarePlanner(policy: config.policy, jobs: selected)
        let to = at.addingTimeInterval(span.interval)
        let input = try await store.planningInput(for: planner, from: at, to: to)
        printer.print(planner.plan(input, from: at, to: to), extra: lint)
    }

    /// The SMS segment count and any wording problem of a rendered message.
    func lint(_ e: PlannedEvent) -> [(String, JSONValue)] {
        guard let text = e.text else { return [] }
        var out: [(String, JSONValue)] = []
        if e.channel == .sms {
            let seg = MessageRules.smsSegments(text)
            out.append(("segments", .number(Double(seg.segments))))
            out.append(("encoding", .string(seg.encoding.rawValue)))
        }
        let warnings = MessageRules.wordingProblems(text)
        if !warnings.isEmpty { out.append(("warnings", .array(warnings.map { .string($0.description) }))) }
        return out
    }
}

