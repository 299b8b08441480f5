import ArgumentParser
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Campaigns to customer segments: preview an occasion's audience and cost, see how far it is, pause, resume or cancel it.",
        discussion: "Each acts on the campaign's occasion under way now, else its next one.",
        subcommands: [CampaignPreview.self, CampaignStatusCommand.self, CampaignPause.self, CampaignResume.self, CampaignCancel.self])
}

/// The campaign machinery over the configured store and jobs.
struct CampaignContext {
    let config: ShopConfig
    let jobs: [JobDefinition]
    let control: CampaignControl

    init(_ options: ConfigOption, writing: Bool) async throws {
        (config, jobs) = try options.loadValid()
        let store = writing ? try await options.openStore(config) : try await options.openExistingStore(config)
        control = CampaignControl(store: store, config: config, jobs: jobs)
    }

    /// A campaign's failure (unknown name, past dates) as a message and exit status 1.
    func attempt<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let f as CampaignControl.Failure {
            Console.error(f.description)
            throw ExitCode(1)
        }
    }

    func time(_ d: Date) -> String { InstantFormat.format(d, clock: config.clock) }

    /// Who acts, for the audit log: the command line and the login that ran it.
    static var actor: String { "cli:" + (ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown") }

    func money(_ amount: Int) -> String {
        config.currency == "VND" ? VietnameseFormat.money(amount) : "\(amount) \(config.currency)"
    }

    func heading(_ o: CampaignOccurrence) -> String {
        "\(o.id): occasion \(o.occasion), sending from \(time(o.start)), until \(time(o.deadline)) at the latest"
    }
}

struct CampaignPreview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview", abstract: "An occasion's audience, messages by channel and variant, SMS segments, cost and samples; sends nothing.")
    @Argument(help: "the campaign's job name") var name: String
    @Option(help: "as of this instant (default: now): its occasion under way or next") var at: String?
    @Option(help: "how many rendered samples") var samples = 3
    @Option(help: "table or jsonl") var format: OutputFormat = .table
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let c = try await CampaignContext(options, writing: false)
        let at = try self.at.map { try Instants.parse($0, "--at", c.config.clock) } ?? WallClock.system.now()
        let p = try await c.attempt { try await c.control.preview(name, at: at, samples: samples) }
        let job = try c.control.campaign(name).0
        switch format {
        case .jsonl:
            func counts<K>(_ d: [K: Int], _ key: (K) -> String) -> JSONValue {
                .ordered(d.map { (key($0.key), JSONValue.number(Double($0.value))) }.sorted { $0.0 < $1.0 })
            }
            print(JSONValue.ordered([
                ("campaign", .string(p.occurrence.id)), ("occasion", .string(p.occurrence.occasion.description)),
                ("start", .string(c.time(p.occurrence.start))), ("deadline", .string(c.time(p.occurrence.deadline))),
                ("audience", .number(Double(p.audience.members))), ("optedOut", .number(Double(p.audience.optedOut))),
                ("messages", .number(Double(p.messages))), ("byChannel", counts(p.byChannel, \.rawValue)),
                ("byVariant", counts(p.byVariant) { String($0 + 1) }), ("skipped", counts(p.skipped, \.rawValue)),
                ("smsSegments", .number(Double(p.smsSegments))), ("cost", counts(p.cost, \.rawValue)),
                ("totalCost", .number(Double(p.totalCost))), ("currency", .string(c.config.currency)),
            ]).encoded)
        case .table:
            print(c.heading(p.occurrence))
            print("audience: \(p.audience.members) customer(s); \(p.audience.optedOut) more match but opted out")
            print("messages: \(p.messages)" + (p.byChannel.isEmpty ? "" : " (" + p.byChannel.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + ")"))
            for (variant, n) in p.byVariant.sorted(by: { $0.key < $1.key }) {
                print("  variant \(variant + 1)\(Self.tiers(job.templates[variant])): \(n)")
            }
            for (category, n) in p.skipped.sorted(by: { $0.key < $1.key }) {
                print("not sent, \(Self.words(category)): \(n)")
            }
            print("SMS segments: \(p.smsSegments)")
            if p.cost.isEmpty {
                print("estimated cost: unknown (config.json has no \"prices\" for these channels)")
            } else {
                let parts = p.cost.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \(c.money($0.value))" }
                let unpriced = p.byChannel.keys.filter { p.cost[$0] == nil }.map(\.rawValue).sorted()
                print("estimated cost: \(c.money(p.totalCost)) (\(parts.joined(separator: ", ")))"
                      + (unpriced.isEmpty ? "" : "; no price for \(unpriced.joined(separator: ", "))"))
            }
            if !p.samples.isEmpty {
                print("samples:")
                let printer = EventPrinter(clock: c.config.clock, format: .table)
                for e in p.samples { print("  " + printer.row(e, extra: []).replacingOccurrences(of: "\n", with: "\n  ")) }
            }
        }
    }

    static func tiers(_ v: TemplateVariant) -> String {
        if let tiers = v.tiers { return " (tiers \(tiers.joined(separator: ", ")))" }
        if let min = v.minTier { return " (\(min) and above)" }
        return ""
    }

    static func words(_ c: SkipCategory) -> String {
        switch c {
        case .optedOut: return "opted out"
        case .cap: return "advertising cap (another advertising message within 24 h)"
        case .noAddress: return "no address for any channel"
        case .late: return "too late"
        case .noVariant: return "no template variant for their tier"
        case .quietHours: return "quiet hours"
        case .other: return "other reasons"
        }
    }
}

struct CampaignStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "How far an occasion is: written, planned, sent, failed, cancelled, skipped by opt-out or cap.")
    @Argument(help: "the campaign's job name") var name: String
    @Option(help: "table or jsonl") var format: OutputFormat = .table
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let c = try await CampaignContext(options, writing: false)
        let (o, s) = try await c.attempt { try await c.control.status(name, at: WallClock.system.now()) }
        let report = CampaignReport(o, s)
        switch format {
        case .jsonl: print(report.json.encoded)
        case .table:
            print(c.heading(o))
            for (key, value) in report.fields { print("\(key): \(CampaignReport.plain(value))") }
        }
    }
}

struct CampaignPause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Hold an occasion's unsent messages (or the whole occasion, before it begins) until resumed.")
    @Argument(help: "the campaign's job name") var name: String
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let c = try await CampaignContext(options, writing: true)
        let (o, run) = try await c.attempt { try await c.control.pause(name, now: WallClock.system.now(), by: CampaignContext.actor) }
        print(run.state == .paused ? "\(o.id) paused" : "\(o.id) is \(run.state.rawValue): nothing to pause")
        if run.state != .paused { throw ExitCode(1) }
    }
}

struct CampaignResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Send a paused occasion again, each message later by as long as the pause lasted (never past its day).")
    @Argument(help: "the campaign's job name") var name: String
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let c = try await CampaignContext(options, writing: true)
        let (o, run) = try await c.attempt { try await c.control.resume(name, now: WallClock.system.now(), by: CampaignContext.actor) }
        switch run?.state {
        case nil: print("\(o.id) resumed: it begins at \(c.time(o.start))")
        case .writing: print("\(o.id) resumed")
        case .some(let state):
            print("\(o.id) is \(state.rawValue): nothing to resume")
            throw ExitCode(1)
        }
    }
}

struct CampaignCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Stop an occasion for good: its unsent messages are dropped (cancelled), what was sent stays sent.")
    @Argument(help: "the campaign's job name") var name: String
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let c = try await CampaignContext(options, writing: true)
        let (o, dropped) = try await c.attempt { try await c.control.cancel(name, now: WallClock.system.now(), by: CampaignContext.actor) }
        print("\(o.id) cancelled: \(dropped) unsent message(s) dropped")
    }
}
