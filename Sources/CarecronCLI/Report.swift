import ArgumentParser
import CarecronDomain
import CarecronStorage
import Foundation

/// `carecron report`: what each job achieved over a span of days (issue 28).
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What each job achieved: planned, sent, delivered, converted, revenue, and the lift over its control group.",
        discussion: """
            A conversion is the job's goal reached (README, "What each message achieved"): credited to the
            job's last message that reached the customer before it, within the goal's window.
            """)
    @Option(help: "first day, YYYY-MM-DD in the shop's time zone (default: 30 days ago)") var from: String?
    @Option(help: "last day, included (default: yesterday)") var to: String?
    @Option(help: "job") var by: Grouping = .job
    @Option(help: "table, csv or jsonl") var format: ReportFormat = .table
    @OptionGroup var options: ConfigOption

    enum Grouping: String, ExpressibleByArgument, CaseIterable { case job }
    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, jsonl }

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let clock = config.clock
        let today = clock.localDate(of: WallClock.system.now())
        func day(_ text: String?, _ option: String, default d: LocalDate) throws -> LocalDate {
            guard let text else { return d }
            guard let date = LocalDate(iso: text) else { throw ValidationError("\(option): \"\(text)\" is not YYYY-MM-DD") }
            return date
        }
        let first = try day(from, "--from", default: today.adding(days: -30)), last = try day(to, "--to", default: today.adding(days: -1))
        guard first <= last else { throw ValidationError("--from must not be after --to") }
        let start = clock.startOfDay(first), end = clock.startOfDay(last.adding(days: 1))
        let goals = Dictionary(jobs.compactMap { job in Goal.of(job).map { (job.name, $0) } }, uniquingKeysWith: { a, _ in a })
        let store = try await options.openExistingStore(config)
        let data = try await store.outcomeData(from: start, to: end, ordersUntil: end.addingTimeInterval(OutcomeWindow.longest(goals.values, holdFor: config.holdFor)))
        let conversions = Attribution.conversions(messages: data.messages, orders: data.orders, goals: goals, holdFor: config.holdFor)
        let rows = OutcomeReport.byJob(funnel: data.funnel, conversions: conversions)
        ReportPrinter(format: format).print(rows)
    }
}

/// How long after a span its conversions may still come.
enum OutcomeWindow {
    static func longest(_ goals: some Sequence<Goal>, holdFor: TimeSpan) -> TimeInterval {
        goals.map { goal -> TimeInterval in
            switch goal {
            case .orderPaid: holdFor.interval
            case .orderDelivered: TimeSpan.days(30).interval
            case .newOrder(let within): within.interval
            }
        }.max() ?? 0
    }
}

/// The report's rows for people (a table), spreadsheets (CSV) or programs (JSON Lines).
struct ReportPrinter {
    let format: Report.ReportFormat

    static let columns = ["job", "planned", "sent", "delivered", "held_out", "converted", "rate", "control_converted", "control_rate",
                          "lift", "lift_low", "lift_high", "conversions", "revenue"]

    func values(_ r: JobOutcome) -> [JSONValue] {
        let lift = r.lift
        func n(_ v: Int) -> JSONValue { .number(Double(v)) }
        func p(_ v: Double?) -> JSONValue { v.map { .number(($0 * 10_000).rounded() / 10_000) } ?? .null }
        return [.string(r.job), n(r.planned), n(r.sent), n(r.delivered), n(r.heldOut), n(r.converted), p(r.rate), n(r.controlConverted),
                p(r.controlRate), p(lift?.value), p(lift?.low), p(lift?.high), n(r.conversions), n(r.revenue)]
    }

    func print(_ rows: [JobOutcome]) {
        switch format {
        case .jsonl:
            for r in rows { Swift.print(JSONValue.ordered(Array(zip(Self.columns, values(r)))).encoded) }
        case .csv:
            Swift.print(Self.columns.joined(separator: ","))
            for r in rows { Swift.print(values(r).map(Self.csv).joined(separator: ",")) }
        case .table:
            if rows.isEmpty { Swift.print("(no messages in these days)") }
            for r in rows { Swift.print(Self.line(r)) }
        }
    }

    static func csv(_ v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s): return s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        default: return v.encoded
        }
    }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }

    static func line(_ r: JobOutcome) -> String {
        var line = "\(r.job): planned \(r.planned), sent \(r.sent), delivered \(r.delivered), converted \(r.converted) (\(percent(r.rate)))"
        line += ", revenue \(VietnameseFormat.money(r.revenue))"
        if r.heldOut > 0 {
            line += "; control group \(r.heldOut), converted \(r.controlConverted) (\(percent(r.controlRate)))"
            if let lift = r.lift {
                line += ", lift \(String(format: "%+.1f", lift.value * 100)) points (95%: \(String(format: "%+.1f", lift.low * 100)) to \(String(format: "%+.1f", lift.high * 100)))"
            }
        }
        return line
    }
}
