import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

/// Issue 6's figures 1 to 5, each measured on real processes: `carecron` itself started as a
/// child (so that its peak memory and CPU are its own), `sqlite3` and `wrk` as the yardsticks.
public struct Performance {
    public let figures: Figures
    public let source: URL
    let binary = carecronBinary
    /// The day the synthetic orders lead up to; planning is measured on it.
    public let day = "2026-12-01"

    public init(figures: Figures, source: URL) {
        self.figures = figures
        self.source = source
    }

    public static func label(_ n: Int) -> String { n >= 1_000_000 ? "\(n / 1_000_000)m" : n >= 1000 ? "\(n / 1000)k" : "\(n)" }

    /// A synthetic shop of `customers` customers (and a fifth as many orders, over the 30 days
    /// before `day`, default the bench's fixed day) in a store.
    public func shop(customers: Int, seed: UInt64 = 7, day: String? = nil) throws -> (BenchShop, URL) {
        let shop = try BenchShop(from: source)
        let data = shop.folder.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        var g = SplitMix(seed: seed)
        try ShopGenerator.customers(customers, to: data.appendingPathComponent("customers.csv"), &g)
        try ShopGenerator.orders(customers / 5, customers: customers, endingOn: LocalDate(iso: day ?? self.day)!,
                                 to: data.appendingPathComponent("orders.csv"), &g)
        return (shop, data)
    }

    /// Figures 1 and 2 at each size: a shop generated, imported, planned; written after each.
    public func importAndPlan(sizes: [Int]) throws {
        for size in sizes.sorted() {
            let (shop, data) = try self.shop(customers: size)
            defer { shop.remove() }
            try importRate(shop, data: data, customers: size)
            try planning(shop, customers: size)
            try figures.write()
        }
    }

    /// Figures 4 and 5 on a live shop (orders up to today) of `customers` customers.
    public func liveService(customers: Int, idleSeconds: Double = 60, latencyMessages: Int = 200) throws {
        let (shop, data) = try self.shop(customers: customers, day: liveDay)
        defer { shop.remove() }
        try shop.quietHoursAway()
        try importRate(shop, data: data, customers: customers, record: false)
        try service(shop, customers: customers, idleSeconds: idleSeconds, latencyMessages: latencyMessages)
        try figures.write()
    }

    // MARK: 1. import

    /// Imports the shop's CSVs with `carecron import`, then `sqlite3 .import`s the same files into
    /// bare tables: rows per second of both and their ratio.
    /// With `record` false, only imports (a shop for another figure).
    public func importRate(_ shop: BenchShop, data: URL, customers: Int, record: Bool = true) throws {
        let size = Self.label(customers)
        var csvSeconds: [Double] = []
        for kind in ["customers", "orders"] {
            let file = data.appendingPathComponent("\(kind).csv").path
            let rows = try lineCount(file) - 1
            let (exit, _, err) = try runToEnd(binary, ["import", kind, file, "--config", shop.config.path])
            guard exit.status == 0 else { throw BenchError("carecron import \(kind) failed: \(err)") }
            guard record else { continue }
            csvSeconds.append(exit.wallSeconds)
            let ours = Double(rows) / exit.wallSeconds
            figures.record("import_\(kind)_\(size)_rate", ours.rounded(), "rows/s")
            figures.record("import_\(kind)_\(size)_peak_memory", Double(exit.peakBytes / 1_048_576), "MB")
            guard let sqlite = which("sqlite3") else { print("sqlite3 not found: no yardstick for the import"); continue }
            let bare = shop.folder.appendingPathComponent("bare-\(kind).sqlite").path
            let (s, _, serr) = try runToEnd(sqlite, [bare, ".mode csv", ".import \(file) bare_\(kind)"])
            guard s.status == 0 else { throw BenchError("sqlite3 .import failed: \(serr)") }
            let theirs = Double(rows) / s.wallSeconds
            figures.record("sqlite3_import_\(kind)_\(size)_rate", theirs.rounded(), "rows/s")
            figures.record("import_\(kind)_\(size)_vs_sqlite3", (ours / theirs * 100).rounded(), "%")
            let floor = try sqlFloor(shop, kind: kind, bare: bare, sqlite: sqlite)
            figures.record("sql_floor_import_\(kind)_\(size)_seconds", floor, "s")
            figures.record("sql_floor_import_\(kind)_\(size)_vs_sqlite3", (s.wallSeconds / floor * 100).rounded(), "%")
            figures.record("import_\(kind)_\(size)_vs_sql_floor", (floor / exit.wallSeconds * 100).rounded(), "%")
        }
        guard record else { return }
        let jsonl = try jsonLinesImport(shop, data: data)
        figures.record("import_customers_\(size)_jsonl_vs_csv", jsonl.customers / csvSeconds[0], "x")
        figures.record("import_orders_\(size)_jsonl_vs_csv", jsonl.orders / csvSeconds[1], "x")
        if customers <= 100_000, let python = try pythonImport(shop, data: data) {
            figures.record("python_import_\(size)_seconds", python, "s")
            figures.record("import_\(size)_vs_python", ((csvSeconds[0] + csvSeconds[1]) / python * 100).rounded(), "%")
        }
    }

    // MARK: 2. planning

    /// `carecron simulate` over one minute (all jobs at one instant: 09:00, when birthdays and
    /// check-ins fire) and over a whole day, beside the planner's own SQL run bare in `sqlite3`.
    public func planning(_ shop: BenchShop, customers: Int) throws {
        let size = Self.label(customers)
        let loaded = ConfigLoader.load(shop.config)
        guard let config = loaded.config else { throw BenchError("bench config: \(loaded.diagnostics)") }
        let planner = CarePlanner(policy: config.policy, jobs: loaded.jobs.filter(\.enabled))
        let checkin = loaded.jobs.orderHistoryDays
        let spans = [("instant", "\(day)T09:00:00+07:00", "\(day)T09:01:00+07:00"),
                     ("day", "\(day)T00:00:00+07:00", "\(LocalDate(iso: day)!.adding(days: 1))T00:00:00+07:00")]
        for (name, from, to) in spans {
            let (exit, peakBytes, out) = try Self.simulateBestOfThree(shop, from: from, to: to)
            let events = out.split(separator: "\n").count
            figures.record("plan_\(name)_\(size)_seconds", exit.wallSeconds, "s")
            figures.record("plan_\(name)_\(size)_peak_memory", Double(peakBytes / 1_048_576), "MB")
            figures.record("plan_\(name)_\(size)_events", Double(events), "events")
            guard let sqlite = which("sqlite3") else { continue }
            let f = InstantFormat.parse(from, clock: config.clock)!, t = InstantFormat.parse(to, clock: config.clock)!
            let statements = PlanningQueries.shellStatements(from: f, to: t, lookback: planner.lookback, holdFor: config.policy.holdFor.interval,
                                                                      checkinDays: checkin, clock: config.clock)
            let (s, _, serr) = try runToEnd(sqlite, ["-readonly", shop.database.path, ".output /dev/null"] + statements.map { $0 + ";" })
            guard s.status == 0 else { throw BenchError("sqlite3 failed: \(serr)") }
            figures.record("sql_\(name)_\(size)_seconds", s.wallSeconds, "s")
            figures.record("plan_\(name)_\(size)_vs_sql", exit.wallSeconds / max(s.wallSeconds, 0.001), "x")
        }
        try replayIsLongEnough(shop, size: size)
        // A child's peak memory cannot read below the bench's own (see `csvToJSONLines`).
        if let own = Self.ownPeakMegabytes() { figures.record("bench_own_peak_memory_after_\(size)", own, "MB") }
    }

    /// `carecron simulate --format jsonl` over [from, to) three times: the fastest run, the highest
    /// peak memory, and what it planned. Best of three: the first run after an import can share
    /// the machine with the kernel writing the import's pages back.
    static func simulateBestOfThree(_ shop: BenchShop, from: String, to: String) throws -> (fastest: Child.Exit, peakBytes: Int, output: String) {
        var runs: [Child.Exit] = [], out = ""
        for _ in 0..<3 {
            let (exit, text, err) = try runToEnd(carecronBinary, ["simulate", "--from", from, "--to", to, "--format", "jsonl", "--config", shop.config.path])
            guard exit.status == 0 else { throw BenchError("carecron simulate failed: \(err)") }
            runs.append(exit)
            out = text
        }
        return (runs.min { $0.wallSeconds < $1.wallSeconds }!, runs.map(\.peakBytes).max()!, out)
    }

    /// This process's high-water RSS (VmHWM), in MB.
    static func ownPeakMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
        return (kb / 1024).rounded()
    }

    /// The jobs' own replays (`JobRules.replay`) against one of five days, byte for byte, over
    /// instants at each job's hour, whole days and a day and a half, with and without `--explain`.
    func replayIsLongEnough(_ shop: BenchShop, size: String) throws {
        let d = LocalDate(iso: day)!
        // A minute at each job's hour.
        var spans = [("09", "00"), ("10", "00"), ("12", "00"), ("16", "00"), ("19", "30")].map { h, m in
            ("\(day)T\(h):\(m):00+07:00", "\(day)T\(h):\(m.prefix(1))1:00+07:00")
        }
        spans += [("\(d.adding(days: -2))T00:00:00+07:00", "\(d.adding(days: -1))T00:00:00+07:00"),
                  ("\(day)T00:00:00+07:00", "\(d.adding(days: 1))T00:00:00+07:00"),
                  ("\(d.adding(days: -1))T12:00:00+07:00", "\(d.adding(days: 1))T12:00:00+07:00")]
        var same = 0, compared = 0
        for (from, to) in spans {
            for extra in [[], ["--explain"]] {
                let args = ["simulate", "--from", from, "--to", to, "--format", "jsonl", "--config", shop.config.path] + extra
                let (a, ours, aerr) = try runToEnd(binary, args)
                let (b, wide, berr) = try runToEnd(binary, args + ["--replay", "5d"])
                guard a.status == 0, b.status == 0 else { throw BenchError("carecron simulate failed: \(aerr) \(berr)") }
                compared += 1
                if ours == wide { same += 1 } else { print("differs from a 5-day replay: \(from) to \(to) \(extra.joined())") }
            }
        }
        figures.record("plan_replay_\(size)_spans_compared", Double(compared), "spans")
        figures.record("plan_replay_\(size)_spans_identical", Double(same), "spans")
        guard same == compared else { throw BenchError("planning with the jobs' own replays differs from a 5-day replay in \(compared - same) span(s)") }
    }

    // MARK: 3. dispatch

    /// `carecron outbox send` of `count` due messages through the webhook sender to the bench's
    /// receiver, beside `wrk` POSTing a like body to the same receiver with as many connections:
    /// once answering at once, once answering after 50 ms, like a real provider.
    public func dispatch(count: Int, concurrency: Int) throws {
        try dispatch(count: count, concurrency: concurrency, providerDelay: 0, suffix: "")
        try dispatch(count: max(200, count / 10), concurrency: concurrency, providerDelay: 0.05, suffix: "_50ms")
    }

    func dispatch(count: Int, concurrency: Int, providerDelay: Double, suffix: String) throws {
        var faults = Receiver.Faults()
        faults.delaySeconds = providerDelay
        let (shop, receiver) = try BenchShop.sending(count, from: source, faults: faults, logged: false) {
            BenchShop.webhook(port: $0, concurrency: concurrency)
        }
        defer { receiver.shutdown(); shop.remove() }
        let (exit, out, err) = try runToEnd(binary, ["outbox", "send", "--config", shop.config.path])
        guard exit.status == 0, out.contains("sent \(count),") else { throw BenchError("outbox send: \(out) \(err)") }
        let ours = Double(count) / exit.wallSeconds
        figures.record("dispatch\(suffix)_rate", ours.rounded(), "messages/s")
        figures.record("dispatch\(suffix)_concurrency", Double(concurrency), "connections")
        guard let wrk = which("wrk") else { print("wrk not found (apt-get install wrk): no yardstick for dispatch"); return }
        let script = shop.folder.appendingPathComponent("post.lua")
        try """
            wrk.method = "POST"
            wrk.body = '{"channel":"sms","to":"+84912345678","text":"Chi Lan oi, don 1 dang cho thanh toan","job":"bench","key":"bench:1"}'
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Idempotency-Key"] = "bench:1"
            """.write(to: script, atomically: true, encoding: .utf8)
        let (w, wout, werr) = try runToEnd(wrk, ["-t1", "-c\(concurrency)", "-d5s", "-s", script.path, "http://127.0.0.1:\(receiver.port)/hook"])
        guard w.status == 0, let line = wout.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let theirs = Double(line.split(separator: " ").last ?? "") else { throw BenchError("wrk: \(wout) \(werr)") }
        figures.record("wrk\(suffix)_rate", theirs.rounded(), "requests/s")
        figures.record("dispatch\(suffix)_vs_wrk", (ours / theirs * 100).rounded(), "%")
    }

    // MARK: 4 and 5. the running service

    /// Start-up (exec to READY=1) and idle CPU of `carecron run` on the shop's store, then how
    /// late due messages go out: `latencyMessages` messages due over the next half minute, their
    /// arrival at the receiver against their due second. The shop should be a live one (orders
    /// up to today, `liveDay`): what falls due during the idle minute is counted and shown.
    public func service(_ shop: BenchShop, customers: Int, idleSeconds: Double = 60, latencyMessages: Int = 200) throws {
        let size = Self.label(customers)
        let receiver = try Receiver(log: shop.receiverLog)
        try receiver.start()
        defer { receiver.shutdown() }
        try shop.configure(senders: BenchShop.webhook(port: receiver.port, concurrency: 16))

        // Idle: nothing in the outbox; the service plans, then sleeps.
        do {
            let notify = try NotifySocket()
            let child = try Child(binary, ["run", "--config", shop.config.path], environment: ["NOTIFY_SOCKET": notify.path],
                                  stderr: shop.folder.appendingPathComponent("run.log").path)
            guard let ready = notify.wait(for: "READY=1", timeout: 60) else { throw BenchError("carecron run never said READY=1") }
            figures.record("startup_to_ready_\(size)", ready.timeIntervalSince(child.started), "s")
            let settled = settle(child)
            figures.record("startup_first_step_\(size)_cpu", settled, "s")
            let before = child.cpuSeconds() ?? 0, sentBefore = receiver.requests
            Thread.sleep(forTimeInterval: idleSeconds)
            let used = (child.cpuSeconds() ?? 0) - before
            figures.record("idle_cpu_per_minute_\(size)", used * 60 / idleSeconds, "s")
            figures.record("idle_window_messages_\(size)", Double(receiver.requests - sentBefore), "messages")
            child.signal(SIGTERM)
            guard let exit = child.wait(seconds: 30), exit.status == 0 else { throw BenchError("carecron run did not stop cleanly on SIGTERM") }
        }

        // Latency: messages due at whole seconds from 10 s after the start, four a second.
        let start = (Date().timeIntervalSince1970 + 10).rounded(.up)
        let due = { (i: Int) in Date(timeIntervalSince1970: start + Double(i / 4)) }
        try shop.enqueue(latencyMessages, due: due)
        let child = try Child(binary, ["run", "--config", shop.config.path], stderr: shop.folder.appendingPathComponent("run.log").path)
        let deadline = Date().addingTimeInterval(Double(latencyMessages / 4) + 60)
        while receiver.benchRequests < latencyMessages, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        child.signal(SIGTERM)
        _ = child.wait(seconds: 30)
        let log = try ReceiverLog(shop.receiverLog)
        var late: [Double] = []
        for i in 0..<latencyMessages {
            guard let first = log.attempts["bench:\(i)"]?.first else { continue }
            late.append(Double(first.ms) - due(i).timeIntervalSince1970 * 1000)
        }
        late.sort()
        guard !late.isEmpty else { throw BenchError("no due message reached the receiver") }
        figures.record("due_latency_\(size)_p50", late[late.count / 2], "ms")
        figures.record("due_latency_\(size)_p99", late[min(late.count - 1, late.count * 99 / 100)], "ms")
        figures.record("due_latency_\(size)_max", late.last!, "ms")
        figures.record("due_latency_\(size)_missing", Double(latencyMessages - late.count), "messages")
    }

    /// Today in the shop's time zone: a service bench's shop has its orders leading up to it.
    public var liveDay: String {
        let clock = ConfigLoader.load(source).config?.clock ?? ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
        return clock.localDate(of: Date()).description
    }

    /// Waits until the child's CPU stops growing (its first planning step is done); the CPU it used.
    func settle(_ child: Child) -> Double {
        var last = child.cpuSeconds() ?? 0
        for _ in 0..<120 {
            Thread.sleep(forTimeInterval: 0.5)
            let now = child.cpuSeconds() ?? last
            if now - last < 0.01 { return now }
            last = now
        }
        return last
    }
}

func lineCount(_ path: String) throws -> Int {
    guard let h = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot read \(path)") }
    defer { try? h.close() }
    var n = 0
    while let chunk = try h.read(upToCount: 1 << 20), !chunk.isEmpty {
        n += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
    return n
}
