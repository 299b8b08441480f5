import ArgumentParser
import CarecronBench
import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Logging

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks and the synthetic shops they run on.",
        discussion: """
            Each figure is printed as a line `name: value unit` and merged into the JSON file (--json).
            Build in release mode first: swift build -c release; .build/release/carecron bench all
            """,
        subcommands: [BenchAll.self, BenchCalls.self, BenchGenerate.self, BenchImport.self, BenchPlan.self, BenchDispatch.self, BenchService.self, BenchCatchUp.self,
                      BenchChaos.self, BenchFuzz.self, BenchReceiver.self, BenchConsole.self, BenchCampaign.self, BenchOutbox.self,
                      BenchMultinode.self, BenchReceipts.self, BenchReport.self])
}

/// A deterministic synthetic shop: the same seed writes the same files, byte for byte.
struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write customers.csv and orders.csv of a synthetic shop into DIR.")

    @Option var customers = 10_000
    @Option var orders = 2_000
    @Option var seed: UInt64 = 1
    @Option(help: "the day the orders lead up to (orders spread over the 30 days before it)") var day = "2026-12-01"
    @Argument var dir: String

    func run() throws {
        guard let end = LocalDate(iso: day) else { throw ValidationError("--day: \"\(day)\" is not YYYY-MM-DD") }
        let folder = URL(fileURLWithPath: dir)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var g = SplitMix(seed: seed)
        try ShopGenerator.customers(customers, to: folder.appendingPathComponent("customers.csv"), &g)
        try ShopGenerator.orders(orders, customers: customers, endingOn: end, to: folder.appendingPathComponent("orders.csv"), &g)
        print("wrote \(customers) customers and \(orders) orders to \(folder.path)")
    }
}

/// What every bench command shares: the shop's configuration and where the figures go.
struct BenchOptions: ParsableArguments {
    @Option(help: "the config.json whose jobs are measured") var config = "config.json"
    @Option(help: "the JSON file the figures are merged into") var json = "var/bench.json"

    var figures: Figures { Figures(json: URL(fileURLWithPath: json)) }
    var source: URL { URL(fileURLWithPath: config) }
}

struct BenchAll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Every figure: import, planning at three sizes, dispatch, the service, chaos and fuzz runs, several nodes on PostgreSQL.")
    @Option(parsing: .upToNextOption, help: "shop sizes (customers) for planning; the largest is also run and started") var sizes = [10_000, 100_000, 1_000_000]
    @Option var messages = 10_000
    @Option var kills = 100
    @Option var fuzzCases = 100_000
    @Option(help: "seconds of idle service to measure") var idle = 60.0
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        let perf = Performance(figures: figures, source: bench.source)
        try perf.importAndPlan(sizes: sizes)
        try perf.console(customers: min(sizes.max() ?? 100_000, 100_000))
        try figures.write()
        if let size = sizes.max() {
            try perf.liveService(customers: size, idleSeconds: idle)
            try perf.catchUp(customers: size)
            try figures.write()
        }
        try perf.dispatch(count: messages, concurrency: 16)
        try figures.write()
        let chaos = Chaos(figures: figures, source: bench.source)
        var problems = try chaos.crashLoop(count: messages, kills: kills).problems
        problems += try chaos.faultyProvider(count: messages).problems
        try figures.write()
        problems += try Fuzzer.run(cases: fuzzCases, seed: 1, figures: figures, source: bench.source)
        try figures.write()
        // A tenth of the single-node chaos's kills (each here is two nodes and a restart), half its messages per dispatch run.
        problems += try BenchMultinode.all(figures: figures, source: bench.source, messages: messages, kills: max(1, kills / 10),
                                           dispatchMessages: max(100, messages / 2), customers: sizes.max() ?? 0)
        try BenchChaos.verdict(problems)
    }
}

struct BenchImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Figure 1: import rate of a synthetic shop beside sqlite3's own .import of the same CSVs.")
    @Option var customers = 1_000_000
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        let perf = Performance(figures: figures, source: bench.source)
        let (shop, data) = try perf.shop(customers: customers)
        defer { shop.remove() }
        try perf.importRate(shop, data: data, customers: customers)
        try figures.write()
    }
}

struct BenchPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Figure 2: planning time and peak memory, one instant and one day, beside the bare SQL.")
    @Option(parsing: .upToNextOption) var sizes = [10_000, 100_000, 1_000_000]
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).importAndPlan(sizes: sizes)
    }
}

struct BenchConsole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The console through curl: the plan page for 7 days, an edit's plan diff, customer search, a campaign's live count, the outbox's pages.")
    @Option var customers = 100_000
    @Option(help: "sent messages to fill the outbox with before its pages are timed (10000000 for issue 26's figure)") var outboxRows = 0
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).console(customers: customers, outboxRows: outboxRows)
        try figures.write()
    }
}

struct BenchDispatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch", abstract: "Figure 3: messages per second through the webhook sender beside wrk against the same server.")
    @Option var count = 10_000
    @Option var concurrency = 16
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).dispatch(count: count, concurrency: concurrency)
        try figures.write()
    }
}

struct BenchService: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Figures 4 and 5: start-up to READY, idle CPU and how late due messages go out, of `carecron run`.")
    @Option var customers = 1_000_000
    @Option(help: "seconds of idle to measure") var idle = 60.0
    @Option var latencyMessages = 200
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source)
            .liveService(customers: customers, idleSeconds: idle, latencyMessages: latencyMessages)
    }
}

struct BenchCatchUp: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catchup", abstract: "Figure 5 of issue 14: after a 24-hour outage, the CPU before the first message is sent, and transactional messages first.")
    @Option var customers = 1_000_000
    @Option(help: "seconds the backlog may take to go out before the run is stopped") var settle = 60.0
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).catchUp(customers: customers, settleSeconds: settle)
        try figures.write()
    }
}

struct BenchChaos: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos", abstract: "Reliability: SIGKILLs while sending, and a provider that fails 30% of requests.",
        discussion: "Exits 1 if a message was lost, sent twice after de-duplication, or retried before its Retry-After.")
    @Option var messages = 10_000
    @Option var kills = 100
    @Option(help: "share of requests the faulty provider fails") var failRate = 0.3
    @Option var seed: UInt64 = 42
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        let chaos = Chaos(figures: figures, source: bench.source)
        var problems = try chaos.crashLoop(count: messages, kills: kills, seed: seed).problems
        problems += try chaos.faultyProvider(count: messages, rate: failRate, seed: seed).problems
        try figures.write()
        try Self.verdict(problems)
    }

    static func verdict(_ problems: [String]) throws {
        guard problems.isEmpty else {
            for p in problems { Console.error("FAILED: \(p)") }
            throw ExitCode(1)
        }
        print("verdict: passed")
    }
}

struct BenchMultinode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multinode",
        abstract: "Several nodes on one PostgreSQL (issue 15): chaos with three nodes, messages per second with 1, 2 and 3, planning beside SQLite.",
        discussion: """
            Starts a throwaway PostgreSQL (Debian's postgresql, run as the postgres user). Exits 1 if a message was lost or
            written twice, a stopped node sent what another had taken over, a new leader took longer than the lease, or the
            plans differ between the stores; a missed speed target (3 nodes at least twice one node at a 50 ms provider,
            planning within 2x of SQLite) is printed as `target missed: …`, as the single node's are.
            """)
    @Option(help: "messages in the chaos run (0: skip)") var messages = 10_000
    @Option(help: "times the leader and another node are SIGKILLed") var kills = 10
    @Option(help: "the lease, seconds") var lease = 5.0
    @Option(help: "messages for each dispatch run (1, 2, 3 nodes; 0: skip)") var dispatchMessages = 5_000
    @Option(help: "customers of the shop planned on both stores (0: skip)") var customers = 1_000_000
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let problems = try Self.all(figures: bench.figures, source: bench.source, messages: messages, kills: kills, lease: lease,
                                    dispatchMessages: dispatchMessages, customers: customers, required: true)
        try BenchChaos.verdict(problems)
    }

    /// Every run on one throwaway server; the problems found. Without PostgreSQL installed,
    /// `bench all` says so and goes on; `bench multinode` fails.
    static func all(figures: Figures, source: URL, messages: Int, kills: Int = 10, lease: Double = 5, dispatchMessages: Int = 5_000,
                    customers: Int, required: Bool = false) throws -> [String] {
        let server: ThrowawayPostgres
        do { server = try ThrowawayPostgres() } catch {
            if required { throw error }
            print("multinode: skipped: \(error)")
            return []
        }
        defer { server.stop() }
        let runs = Multinode(figures: figures, source: source, server: server)
        var problems = messages > 0 ? try runs.chaos(messages: messages, kills: kills, lease: lease).problems : []
        try figures.write()
        if dispatchMessages > 0 { problems += try runs.dispatch(messages: dispatchMessages).problems }
        try figures.write()
        if customers > 0 { problems += try runs.planning(customers: customers).problems }
        try figures.write()
        return problems
    }
}

struct BenchFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz", abstract: "Bad input: mutated job files, CSV imports and HTTP API requests; no crash, every rejection clear.",
        discussion: "Exits 1 if a rejection was unclear (examples are printed) or the API answered 5xx.")
    @Option(help: "cases in all, split between job files (20%), CSV imports (40%) and the HTTP API (40%)") var cases = 100_000
    @Option var seed: UInt64 = 1
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        let problems = try Fuzzer.run(cases: cases, seed: seed, figures: figures, source: bench.source)
        try figures.write()
        try BenchChaos.verdict(problems)
    }
}

struct BenchReceiver: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receiver", abstract: "Run the bench's HTTP receiver on 127.0.0.1 (prints its port), e.g. for wrk or a webhook sender.")
    @Option var port = 0
    @Option(help: "log every request here as `ms answer idempotency-key`") var log: String?
    @Option var failRate = 0.0
    @Option var seed: UInt64 = 1

    func run() throws {
        var faults = Receiver.Faults()
        faults.rate = failRate
        faults.seed = seed
        let receiver = try Receiver(log: log.map(URL.init(fileURLWithPath:)), faults: faults)
        try receiver.start(port: port)
        print("port: \(receiver.port)")
        fflush(nil)
        while true { sleep(3600) }
    }
}

struct BenchOutbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Issue 14's outbox figures: planning one instant, status and idle CPU with an empty outbox and with --rows sent messages.")
    @Option var rows = 10_000_000
    @Option var customers = 100_000
    @Option(help: "seconds of idle `carecron run` measured each time") var idleSeconds: Double = 60
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).outboxGrowth(customers: customers, rows: rows, idleSeconds: idleSeconds)
        try figures.write()
    }
}

struct BenchReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Issue 28's figures: `carecron report` over 90 days of --customers customers and --rows outbox rows (time, peak memory), and what control groups and A/B arms cost planning a day.")
    @Option var customers = 1_000_000
    @Option var rows = 10_000_000
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).reportFigures(customers: customers, rows: rows)
        try figures.write()
    }
}

struct BenchCampaign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Issue 13's targets: a campaign to every customer of a synthetic shop planned and written to the outbox (time, peak memory), and a payment reminder claimed before its backlog.")
    @Option var customers = 1_000_000
    @Option(help: "customers written to the outbox per transaction (the service's default when not given)") var pageSize: Int?
    @OptionGroup var bench: BenchOptions

    func run() async throws {
        let figures = bench.figures
        let perf = Performance(figures: figures, source: bench.source)
        let (shop, data) = try perf.shop(customers: customers)
        defer { shop.remove() }
        try perf.importRate(shop, data: data, customers: customers, record: false)
        // The shipped jobs and a campaign to everyone on the shop's day, 09:00, spread over 2 h.
        let jobs = shop.folder.appendingPathComponent("jobs")
        try FileManager.default.copyItem(at: ConfigLoader.load(bench.source).config!.jobsFolder, to: jobs)
        try """
        {"type": "campaign", "enabled": true, "purpose": "marketing", "channels": ["sms"], "audience": {},
         "when": {"dates": ["\(perf.day)"], "time": "09:00"}, "spread": "2h",
         "templates": [{"minTier": "Gold", "text": "[QC] {{shop.name}} tặng khách {{tier.name}} {{tier.discount}}.\\n{{optOut}}"},
                       {"text": "[QC] {{shop.name}} giảm {{tier.discount}} hôm nay.\\n{{optOut}}"}]}
        """.write(to: jobs.appendingPathComponent("bench-campaign.json"), atomically: true, encoding: .utf8)
        try shop.setJobs(jobs)
        let loaded = ConfigLoader.load(shop.config)
        guard let config = loaded.config, loaded.isValid else { throw ValidationError("the bench shop does not load: \(loaded.errors)") }
        let store = try Store(url: config.database)
        let at = InstantFormat.parse("\(perf.day)T09:00:00+07:00", clock: config.clock)!
        let before = Self.peakBytes()
        let started = Date()
        var step = CampaignStep(store: store, config: config, jobs: loaded.jobs)
        if let pageSize { step.pageSize = pageSize }
        let result = try await step.step(now: at)
        let seconds = Date().timeIntervalSince(started)
        let size = Performance.label(customers)
        figures.record("campaign_\(size)_write_seconds", (seconds * 100).rounded() / 100, "s")
        figures.record("campaign_\(size)_messages", Double(result.written), "messages")
        figures.record("campaign_\(size)_peak_memory", Double(max(before, Self.peakBytes()) / 1_048_576), "MB")
        // A payment reminder due a minute in: the first claim takes it before the campaign's backlog.
        let reminder = OutboxEntry(keys: ["bench:reminder"], job: "payment-reminder", customerId: nil, orderIds: [], reminder: 1,
                                   renderings: [Rendering(channel: "sms", to: "+84900000000", subject: nil, text: "nhắc", params: [:], templateId: nil)],
                                   dueAt: at.addingTimeInterval(60), priority: Purpose.transactional.sendingPriority)
        _ = try await store.outbox.enqueue([reminder], now: at)
        let claimStart = Date()
        let claimed = try await store.outbox.claimDue(now: at.addingTimeInterval(600), limit: 32)
        figures.record("campaign_\(size)_claim_seconds", (Date().timeIntervalSince(claimStart) * 1000).rounded() / 1000, "s")
        figures.record("campaign_\(size)_reminder_first", claimed.first?.job == "payment-reminder" ? 1 : 0, "yes")
        try figures.write()
    }

    /// This process's peak resident memory so far.
    static func peakBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}

struct BenchReceipts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts", abstract: "Issue 27: eSMS receipts per second into a running service, each recorded once; an opt-out reply until its queued advertising is cancelled.")
    @Option(help: "sent messages the receipts are for (more than wrk can send in the time)") var messages = 200_000
    @Option var connections = 32
    @Option(help: "seconds wrk sends for") var seconds = 5
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try ReceiptsBench(figures: figures, source: bench.source).run(messages: messages, connections: connections, seconds: seconds)
        try figures.write()
    }
}

struct BenchCalls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calls",
        abstract: "Issue 29: every agent's list of a day (carecron calls list) and one agent's page, over --customers customers with --calls calls a day among --agents agents and --history-days days of calls before.")
    @Option var customers = 1_000_000
    @Option var calls = 5_000
    @Option var agents = 50
    @Option var historyDays = 90
    @OptionGroup var bench: BenchOptions

    func run() throws {
        let figures = bench.figures
        try Performance(figures: figures, source: bench.source).calls(customers: customers, calls: calls, agents: agents, historyDays: historyDays)
        try figures.write()
    }
}
