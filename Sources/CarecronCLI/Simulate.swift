import ArgumentParser
import CarecronConfig
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

extension OutputFormat: ExpressibleByArgument {}

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay the shop's timeline over a span and print every event; sends nothing, changes nothing.",
        discussion: """
            Orders exist from placed_at, are paid at paid_at and delivered at delivered_at, as the running
            service would live them. --down FROM/TO imagines the service down in that span.
            """)

    @Option(help: "start of the span (ISO 8601; without an offset, shop time)") var from: String
    @Option(help: "end of the span (exclusive)") var to: String
    @Option(help: "table or jsonl") var format: OutputFormat = .table
    @Option(help: "only this job") var job: String?
    @Option(name: .customLong("down"), help: "FROM/TO: the service is down in this span (repeatable)") var down: [String] = []
    @Flag(help: "also print every candidate not sent then, with why (kind \"skip\" and a reason)") var explain = false
    /// The bench's check that the jobs' own replays are long enough: a longer one changes nothing.
    @Option(help: .hidden) var replay: String?
    @OptionGroup var options: ConfigOption

    static let longestSpan: TimeInterval = 366 * 86_400

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let from = try Instants.parse(self.from, "--from", config.clock)
        let to = try Instants.parse(self.to, "--to", config.clock)
        guard from < to else { throw ValidationError("--from must be before --to") }
        // A year at a time: a typo's thousand years would plan for hours, in ever more memory.
        guard to.timeIntervalSince(from) <= Self.longestSpan else {
            throw ValidationError("--from to --to spans more than 366 days; simulate a year at a time")
        }
        let downtime = Downtime(try down.map { try Instants.span($0, config.clock) })
        if let first = downtime.spans.first, from.timeIntervalSince(first.start) > Self.longestSpan {
            throw ValidationError("--down: an outage beginning more than 366 days before --from would be replayed whole; begin it later")
        }
        let selected = try JobSelection.pick(job, from: jobs)
        let store = try await options.openExistingStore(config)
        var planner = CarePlanner(policy: config.policy, jobs: selected)
        planner.explain = explain
        if let replay {
            guard let span = TimeSpan(replay) else { throw ValidationError("--replay: \"\(replay)\" is not a duration such as 5d") }
            planner.lookbackAtLeast = span.interval
        }
        // An outage imagined before the span is replayed whole.
        if let first = downtime.spans.first { planner.lookbackAtLeast = max(planner.lookbackAtLeast, from.timeIntervalSince(first.start)) }
        let t0 = ContinuousClock.now
        let input = try await store.planningInput(for: planner, from: from, to: to)
        let t1 = ContinuousClock.now
        let events = planner.plan(input, from: from, to: to, downtime: downtime)
        let t2 = ContinuousClock.now
        // A control group's messages are never sent: shown only with --explain, as not sent and why.
        EventPrinter(clock: config.clock, format: format).print(events.filter { $0.heldOut == nil })
        if ProcessInfo.processInfo.environment["CARECRON_TIMINGS"] != nil {
            Console.error("load \((t1 - t0).seconds)s (\(input.customers.count) customers, \(input.orders.count) orders), plan \((t2 - t1).seconds)s, print \((ContinuousClock.now - t2).seconds)s")
        }
    }
}

enum Instants {
    static func parse(_ text: String, _ option: String, _ clock: ShopClock) throws -> Date {
        guard let d = InstantFormat.parse(text, clock: clock) else {
            throw ValidationError("\(option): \"\(text)\" is not an instant; write e.g. 2026-12-01T00:00:00+07:00")
        }
        return d
    }

    static func span(_ text: String, _ clock: ShopClock) throws -> DateInterval {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("--down: \"\(text)\" must be FROM/TO") }
        let a = try parse(parts[0], "--down", clock), b = try parse(parts[1], "--down", clock)
        guard a < b else { throw ValidationError("--down: \(text) ends before it starts") }
        return DateInterval(start: a, end: b)
    }
}

enum JobSelection {
    static func pick(_ name: String?, from jobs: [JobDefinition]) throws -> [JobDefinition] {
        guard let name else { return jobs }
        guard let job = jobs.first(where: { $0.name == name }) else {
            let hint = Suggest.closest(to: name, among: jobs.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
            throw ValidationError("no job named \"\(name)\"\(hint); jobs: \(jobs.map(\.name).joined(separator: ", "))")
        }
        var enabled = job
        enabled.enabled = true
        return [enabled]
    }

}
