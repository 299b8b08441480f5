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
    @Option(help: "job, channel, day, week, slot (the time of day the messages were due), variant (the template variant) or tier (the customer's tier now)") var by: OutcomeGrouping = .job
    @Option(help: "table, csv or jsonl") var format: ReportFormat = .table
    @Flag(help: "the handbook's measures instead: CSAT, CES and NPS by survey job and week (by day with --by day), retention, CLTV by tier")
    var measures = false
    @Option(help: "with --measures: a buyer who buys again within this long is retained (e.g. 90d)") var retentionWithin: TimeSpan = HandbookMeasures.defaultRetentionWindow
    @OptionGroup var options: ConfigOption

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, jsonl }

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let clock = config.clock
        let (start, end): (Date, Date)
        switch OutcomeQuery.span(from: from, to: to, today: clock.localDate(of: WallClock.system.now()), clock: clock) {
        case .success(let span): (start, end) = span
        case .failure(let problem): throw ValidationError("--\(problem.field): \(problem)")
        }
        // Writes: the report brings the outcomes' conversions up to date first.
        let store = try await options.openStore(config)
        if measures {
            let rows = try await OutcomeQuery.measures(store, jobs: jobs, from: start, to: end, byDay: by == .day, retentionWithin: retentionWithin, clock: clock)
            return ReportPrinter(format: format).print(measures: rows)
        }
        let rows = try await OutcomeQuery.byJob(store, jobs: jobs, holdFor: config.holdFor, from: start, to: end, by: by, clock: clock)
        ReportPrinter(format: format).print(rows)
    }
}

/// The report's rows for people (a table), spreadsheets (CSV) or programs (JSON Lines).
struct ReportPrinter {
    let format: Report.ReportFormat

    func print(_ rows: [JobOutcome]) {
        print(rows, columns: JobOutcome.columns, fields: \.fields, line: Self.line, empty: "(no messages in these days)")
    }

    func print(measures rows: [MeasureRow]) {
        print(rows, columns: MeasureRow.columns, fields: \.fields, line: Self.line, empty: nil)
    }

    func print<Row>(_ rows: [Row], columns: [String], fields: (Row) -> [(String, JSONValue)], line: (Row) -> String, empty: String?) {
        switch format {
        case .jsonl:
            for r in rows { Swift.print(JSONValue.ordered(fields(r)).encoded) }
        case .csv:
            Swift.print(columns.joined(separator: ","))
            for r in rows { Swift.print(fields(r).map { Self.csv($0.1) }.joined(separator: ",")) }
        case .table:
            if rows.isEmpty, let empty { Swift.print(empty) }
            for r in rows { Swift.print(line(r)) }
        }
    }

    static func line(_ r: MeasureRow) -> String {
        switch r.measure {
        case .csat: "CSAT \(r.job ?? "") \(r.period ?? ""): \(percent(r.value)) satisfied (4–5 of 5) of \(r.count) answers, \(r.low ?? 0) low"
        case .ces: "CES \(r.job ?? "") \(r.period ?? ""): \(r.value.map { String(format: "%.2f", $0) } ?? "-") of 7 (7 easiest) over \(r.count) answers, \(r.low ?? 0) low"
        case .nps: "NPS \(r.job ?? "") \(r.period ?? ""): \(r.value.map { String(format: "%+.0f", $0) } ?? "-") over \(r.count) answers, \(r.low ?? 0) detractors"
        case .retention: "retention \(r.period ?? ""): \(r.low ?? 0) of \(r.count) buyers bought again (\(percent(r.value)))"
        case .cltv: "CLTV \(r.tier ?? ""): \(r.value.map { VietnameseFormat.money(Int($0.rounded())) } ?? "-") a buyer over \(r.count) buyers (\(VietnameseFormat.money(r.revenue ?? 0)) in all)"
        case .responseTime: "response time \(r.period ?? ""): \(r.value.map { TimeSpan(seconds: Int($0.rounded())).description } ?? "-") on average over \(r.count) conversations answered"
        case .firstContactResolution: "first-contact resolution \(r.period ?? ""): \(percent(r.value)) of \(r.count) conversations resolved (\(r.low ?? 0) at the first contact)"
        }
    }

    static func csv(_ v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s):
            return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        default: return v.encoded
        }
    }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }

    static func line(_ r: JobOutcome) -> String {
        var line = "\(r.job)\(r.group.map { " \($0)" } ?? ""): planned \(r.planned), sent \(r.sent), delivered \(r.delivered), converted \(r.converted) (\(percent(r.rate)))"
        if let interval = r.rateInterval, r.group != nil { line += " [95%: \(percent(interval.low)) to \(percent(interval.high))]" }
        line += ", revenue \(VietnameseFormat.money(r.revenue))"
        if let c = r.comparison {
            line += "; \(String(format: "%.1f%%", c.probabilityBeats * 100)) likely to beat the other"
            if let p = c.pValue { line += " (two-proportion test p = \(String(format: "%.3g", p)))" }
            line += ": \(c.verdict.sentence(minimum: r.minimumPerArm ?? 0))"
        }
        if r.heldOut > 0 {
            line += "; control group \(r.heldOut), converted \(r.controlConverted) (\(percent(r.controlRate)))"
            if let lift = r.lift {
                line += ", lift \(String(format: "%+.1f", lift.value * 100)) points (95%: \(String(format: "%+.1f", lift.low * 100)) to \(String(format: "%+.1f", lift.high * 100)))"
            }
        }
        return line
    }
}

extension OutcomeGrouping: ExpressibleByArgument {}

/// "90d", "12h", as job files write a length of time.
extension TimeSpan: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
