import ArgumentParser
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation

/// `carecron calls`: the care team's lists, for those who work from paper (issue 29).
struct CallsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "The care team's calls: each agent's list of the day, and days away.",
        subcommands: [CallsList.self, CallsAway.self])
}

/// A day as `--date` gives it, today in the shop when absent.
struct ShopDay: ExpressibleByArgument {
    let date: LocalDate
    init?(argument: String) {
        guard let d = LocalDate(iso: argument) else { return nil }
        date = d
    }
    static func today(_ clock: ShopClock) -> LocalDate { clock.localDate(of: WallClock.system.now()) }
}

struct CallsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "An agent's calls of a day, in the order to make them (every agent's without --agent).",
        discussion: "Transactional calls first, then by the job's call priority and the orders' amount. The table is in Vietnamese unless --lang en.")
    @Option(help: "the agent's console login or name") var agent: String?
    @Option(help: "the day, YYYY-MM-DD in the shop's time zone (default: today)") var date: ShopDay?
    @Option(help: "table or csv") var format: CallsFormat = .table
    @Option(help: "vi or en (the table's words)") var lang: Language = .vi
    @OptionGroup var options: ConfigOption

    enum CallsFormat: String, ExpressibleByArgument, CaseIterable { case table, csv }

    func run() async throws {
        let (config, jobs) = try options.loadValid()
        let roster = config.console.roster
        var login: String?
        if let agent {
            guard let found = roster.agent(agent) ?? roster.named(agent) else {
                throw ValidationError(Sentence("calls.no_agent", ["agent": .text(agent)]).text(lang))
            }
            login = found.login
        }
        let day = date?.date ?? ShopDay.today(config.clock)
        let lists = try await CallLists.lists(try await options.openExistingStore(config), agent: login, day: day, clock: config.clock)
        let sheet = CallSheet(clock: config.clock, language: lang,
                              jobs: Dictionary(jobs.map { ($0.name, $0.description) }, uniquingKeysWith: { a, _ in a }))
        let agents = login.map { [$0] } ?? lists.keys.sorted()
        switch format {
        case .csv:
            print(CallSheet.csvHeader)
            for a in agents { for (i, c) in (lists[a] ?? []).enumerated() { print(sheet.csv(c, position: i + 1)) } }
        case .table:
            if agents.isEmpty { print(Sentence("calls.sheet_empty").text(lang)) }
            for a in agents {
                print(sheet.table(lists[a] ?? [], agent: roster.agent(a)?.displayName ?? a, day: day))
            }
        }
    }
}

struct CallsAway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "away",
        abstract: "Marks an agent away for a day (or back with --back): their open calls go to the others on shift.")
    @Option(help: "the agent's console login or name") var agent: String
    @Option(help: "the day, YYYY-MM-DD (default: today)") var date: ShopDay?
    @Flag(help: "back at work after all") var back = false
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let (config, _) = try options.loadValid()
        guard let found = config.console.roster.agent(agent) ?? config.console.roster.named(agent) else {
            throw ValidationError(Sentence("calls.no_agent", ["agent": .text(agent)]).description)
        }
        let day = date?.date ?? ShopDay.today(config.clock)
        let moved = try await CallReassignment(store: try await options.openStore(config), roster: config.console.roster, clock: config.clock)
            .mark(found.login, away: !back, on: day, by: "cli", now: WallClock.system.now())
        print(back ? "\(found.login) is back on \(day)" : "\(found.login) is away on \(day): \(moved) open call(s) handed to others")
    }
}

extension Language: ExpressibleByArgument {}

/// An agent's list on paper: a numbered table, or CSV for a spreadsheet.
struct CallSheet {
    let clock: ShopClock
    let language: Language
    /// Each job's description, as the list names the call's reason.
    let jobs: [String: String]

    static let csvHeader = "position,agent,due,customer_id,customer,phone,job,orders,amount,tries,state,result,note,rating,script"

    func word(_ code: String) -> String { Sentence(code).text(language) }

    func table(_ calls: [CallItem], agent: String, day: LocalDate) -> String {
        let open = calls.filter { $0.state == .open }.count
        var lines = [Sentence("calls.sheet_title", ["agent": .text(agent), "day": .text(VietnameseFormat.date(day)),
                                                    "count": .number(calls.count), "open": .number(open)]).text(language)]
        for (i, c) in calls.enumerated() {
            let state = c.state == .done ? word("call.result.\(c.result?.rawValue ?? "reached")") : c.result.map { word("call.result.\($0.rawValue)") } ?? ""
            var head = "\(String(i + 1).leftPadded(3)). \(clock.timeOfDay(of: c.assignment.nextTryAt))  \(c.customerName ?? c.assignment.customerId ?? "-")  "
            head += "\(VietnameseFormat.phone(c.phone))  \(jobs[c.assignment.job] ?? c.assignment.job)  \(c.orderIds.joined(separator: ","))"
            head += "  \(VietnameseFormat.money(c.assignment.amount))"
            if c.tries > 0 { head += "  " + Sentence("calls.tries", ["n": .number(c.tries)]).text(language) }
            if !state.isEmpty { head += "  [\(state)]" }
            lines.append(head)
            lines.append("     \(word("calls.script")): \(c.script)")
            if let note = c.note { lines.append("     ✎ \(note)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func csv(_ c: CallItem, position: Int) -> String {
        let fields = [String(position), c.assignment.agent, InstantFormat.format(c.assignment.nextTryAt, clock: clock), c.assignment.customerId ?? "",
                      c.customerName ?? "", c.phone, c.assignment.job, c.orderIds.joined(separator: " "), String(c.assignment.amount),
                      String(c.tries), c.state.rawValue, c.result?.rawValue ?? "", c.note ?? "", c.rating.map(String.init) ?? "", c.script]
        return fields.map { ReportPrinter.csv(.string($0)) }.joined(separator: ",")
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
