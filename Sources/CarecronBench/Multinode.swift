import CarecronConfig
import CarecronDelivery
import CarecronDomain
import Foundation

/// Issue 15's runs: several `carecron run` nodes on one PostgreSQL, counted from the provider's
/// side (the receiver logs each request's idempotency key and the path it came to; each node
/// process posts to a path of its own) and from the database (psql).
public struct Multinode {
    public let figures: Figures
    public let source: URL
    let server: ThrowawayPostgres

    public init(figures: Figures, source: URL, server: ThrowawayPostgres) {
        self.figures = figures
        self.source = source
        self.server = server
    }

    /// What went wrong, as the other reliability runs say it.
    public typealias Verdict = Chaos.Verdict

    // MARK: - Chaos

    /// `messages` messages through three nodes: most already in the outbox, the rest cash-on-
    /// delivery confirmations the leader plans while the run goes on. The leader and another node
    /// are SIGKILLed `kills` times mid-send and restarted; then the leader is SIGSTOPped for
    /// longer than its lease and SIGCONTed. Counted: none lost, one outbox row and one key per
    /// occurrence, repeats only for sends in flight at a kill or the stop, no send by the stopped
    /// node of a message taken over meanwhile, a new leader within the lease, terms held once.
    public func chaos(messages: Int, kills: Int, lease: Double = 5, seed: UInt64 = 15) throws -> Verdict {
        let planned = max(10, messages / 10)
        let queued = messages - planned
        // Paced so that sending outlasts the kills (one pair every 3 to 5 s, then the stop).
        let seconds = Double(kills) * 4 + lease * 3 + 20
        let perNode = max(5, Double(messages) / seconds / 3)
        let cluster = try Cluster(server: server, source: source, lease: lease, concurrency: 4, ratePerSecond: perNode, providerDelay: 0)
        defer { cluster.remove() }
        try cluster.importCashOnDelivery(planned, dueOver: min(seconds * 0.6, 120))
        try cluster.enqueue(queued)
        for _ in 0..<3 { try cluster.startNode() }

        var g = SplitMix(seed: seed)
        var verdict = Verdict()
        var gaps: [Double] = []
        var killed = 0
        _ = try cluster.waitForLeader(within: lease * 2)
        while killed < kills, try cluster.sentCount() < messages * 3 / 4 {
            Thread.sleep(forTimeInterval: 3 + Double(g.next() % 2000) / 1000)
            guard let leader = try cluster.leader() else { continue }
            let others = cluster.running.filter { $0 !== leader }
            let victims = [leader] + (others.isEmpty ? [] : [others[Int(g.next() % UInt64(others.count))]])
            let at = Date()
            for v in victims { v.kill(SIGKILL) }
            killed += 1
            // The survivors must elect a new leader within the lease (the dead one's lapses then).
            if let took = try cluster.waitForLeader(within: lease + 5, other: Set(victims.map(\.pid))) {
                gaps.append(took.timeIntervalSince(at))
            } else {
                verdict.problems.append("no new leader within \(lease + 5) s of kill \(killed)")
            }
            for _ in victims { try cluster.startNode() }
        }
        // The leader stopped for longer than its lease: it must stop planning and sending what
        // another node takes over, and say so when it resumes.
        var stop: StopWindow?
        if let leader = try cluster.leader() {
            let at = Date()
            leader.kill(SIGSTOP)
            if let took = try cluster.waitForLeader(within: lease + 5, other: [leader.pid]) { gaps.append(took.timeIntervalSince(at)) }
            Thread.sleep(forTimeInterval: lease * 1.5)
            let logOffset = leader.logSize()
            let resumed = Date()
            leader.kill(SIGCONT)
            stop = StopWindow(node: leader, from: at, to: resumed, logOffset: logOffset)
        }
        let finished = cluster.waitUntilSent(messages, within: max(120, Double(messages) / (perNode * 3) * 2))
        if !finished { verdict.problems.append("not all sent within the time allowed: \(try cluster.sentCount()) of \(messages)") }
        cluster.stopAll()

        figures.record("multinode_chaos_messages", Double(messages), "messages")
        figures.record("multinode_chaos_kills", Double(killed), "kills")
        figures.record("multinode_chaos_stops", stop == nil ? 0 : 1, "stops")
        figures.record("multinode_chaos_lease", lease, "s")
        if let worst = gaps.max() {
            // From the kill (or the stop) to the new term's start in the database.
            figures.record("multinode_chaos_leader_gap_max", (worst * 100).rounded() / 100, "s")
            if worst > lease + 0.25 { verdict.problems.append("a new leader took \(worst) s, the lease is \(lease) s") }
        }
        try tally(cluster, messages: messages, planned: planned, inFlightEvents: killed * 2 + (stop == nil ? 0 : 1), stop: stop, &verdict)
        return verdict
    }

    struct StopWindow {
        let node: Node
        let from: Date
        let to: Date
        let logOffset: Int
    }

    private func tally(_ cluster: Cluster, messages: Int, planned: Int, inFlightEvents: Int, stop: StopWindow?, _ verdict: inout Verdict) throws {
        let log = try ReceiverLog(cluster.receiverLog)
        let rows = try cluster.sql("SELECT count(*), count(DISTINCT idempotency_key), count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE job = 'cod-confirmation') FROM outbox")
            .split(separator: "|").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let keys = Set(try cluster.sql("SELECT idempotency_key FROM outbox").split(separator: "\n").map(String.init))
        let delivered = log.delivered
        let lost = keys.subtracting(delivered).count
        let strangers = delivered.subtracting(keys).count
        figures.record("multinode_chaos_outbox_rows", Double(rows[0]), "rows")
        figures.record("multinode_chaos_requests", Double(log.total), "requests")
        figures.record("multinode_chaos_lost", Double(lost), "messages")
        figures.record("multinode_chaos_raw_duplicates", Double(log.rawDuplicates), "requests")
        figures.record("multinode_chaos_planned_by_leaders", Double(rows[3]), "confirmations")
        if rows[0] != messages || rows[1] != messages { verdict.problems.append("\(rows[0]) outbox rows, \(rows[1]) keys for \(messages) messages") }
        if rows[3] != planned { verdict.problems.append("\(rows[3]) confirmations planned for \(planned) orders") }
        if rows[2] != messages { verdict.problems.append("the outbox shows \(rows[2]) of \(messages) sent") }
        if lost > 0 { verdict.problems.append("\(lost) message(s) lost") }
        if strangers > 0 { verdict.problems.append("\(strangers) request(s) under keys no message has") }
        // A repeat is allowed only for what was on the wire at a kill or at the stop.
        let bound = inFlightEvents * cluster.concurrency * 2
        if log.rawDuplicates > bound { verdict.problems.append("\(log.rawDuplicates) repeats for \(inFlightEvents) kills and stops of \(cluster.concurrency) in flight") }

        // Planning once: each term is one node's; the logs' planned counts add up to the rows.
        let logs = cluster.allNodes.map { ($0, $0.log()) }
        var terms: [String: Int] = [:]
        var plannedInLogs = 0
        for (_, text) in logs {
            for line in text.split(separator: "\n") {
                if line.hasSuffix("this node plans now"), let t = Self.field("term", in: line) { terms[t, default: 0] += 1 }
                if line.hasSuffix("] planned"), let n = Self.field("messages", in: line).flatMap(Int.init) { plannedInLogs += n }
                if line.hasSuffix("caught up the orders' own messages first"), let n = Self.field("planned", in: line).flatMap(Int.init) { plannedInLogs += n }
            }
        }
        figures.record("multinode_chaos_terms", Double(terms.count), "terms")
        let shared = terms.filter { $0.value > 1 }.count
        figures.record("multinode_chaos_terms_held_twice", Double(shared), "terms")
        if shared > 0 { verdict.problems.append("\(shared) term(s) claimed by two nodes") }
        figures.record("multinode_chaos_planned_in_logs", Double(plannedInLogs), "messages")
        if plannedInLogs != planned { verdict.problems.append("the nodes' logs say \(plannedInLogs) planned, the orders need \(planned)") }
        let lapsed = logs.reduce(0) { $0 + $1.1.components(separatedBy: "lease on the message lapsed").count - 1 }
        let fencedOff = logs.reduce(0) { $0 + $1.1.components(separatedBy: "outcome not recorded: the lease was lost").count - 1 }
        figures.record("multinode_chaos_not_sent_lease_lapsed", Double(lapsed), "messages")
        figures.record("multinode_chaos_outcomes_fenced_off", Double(fencedOff), "outcomes")

        guard let stop else { return }
        // Fencing: what another node sent while this one was stopped, this one must not send after.
        let fromMs = Int64(stop.from.timeIntervalSince1970 * 1000), toMs = Int64(stop.to.timeIntervalSince1970 * 1000)
        var takenOver = 0, sentAfterTakeover = 0
        for attempts in log.attempts.values {
            let byOthers = attempts.contains { $0.path != stop.node.path && $0.ms >= fromMs && $0.ms <= toMs + 50 }
            guard byOthers else { continue }
            if attempts.contains(where: { $0.path == stop.node.path && $0.ms < fromMs }) { takenOver += 1 }
            if attempts.contains(where: { $0.path == stop.node.path && $0.ms > toMs }) { sentAfterTakeover += 1 }
        }
        figures.record("multinode_chaos_stop_seconds", (stop.to.timeIntervalSince(stop.from) * 10).rounded() / 10, "s")
        figures.record("multinode_chaos_sent_after_takeover", Double(sentAfterTakeover), "messages")
        if sentAfterTakeover > 0 { verdict.problems.append("the stopped node sent \(sentAfterTakeover) message(s) another node had taken over") }
        // Planning stops with the lease: after it resumed, the stopped node plans only if it leads again.
        let after = String(stop.node.log().utf8.dropFirst(stop.logOffset)) ?? ""
        var leadsAgain = false, plannedWithoutLead = 0
        for line in after.split(separator: "\n") {
            if line.hasSuffix("this node plans now") { leadsAgain = true }
            if line.hasSuffix("] planned"), !leadsAgain { plannedWithoutLead += 1 }
        }
        figures.record("multinode_chaos_planned_after_lease_lost", Double(plannedWithoutLead), "steps")
        if plannedWithoutLead > 0 { verdict.problems.append("the stopped leader planned \(plannedWithoutLead) time(s) after its lease lapsed") }
    }

    /// A `name=value` field of a text log line.
    static func field(_ name: String, in line: Substring) -> String? {
        guard let r = line.range(of: " \(name)=") ?? line.range(of: ": \(name)=") else { return nil }
        return line[r.upperBound...].split(separator: " ").first.map(String.init)
    }

    // MARK: - Speed

    /// Messages per second with 1, 2 and 3 nodes against a provider answering in `providerDelay`
    /// (a problem only if a run does not finish; the speed target is reported).
    public func dispatch(messages: Int, providerDelay: Double = 0.05, concurrency: Int = 16) throws -> Verdict {
        var rates: [Int: Double] = [:]
        var verdict = Verdict()
        for nodes in 1...3 {
            let cluster = try Cluster(server: server, source: source, lease: 10, concurrency: concurrency, ratePerSecond: nil,
                                      providerDelay: providerDelay)
            defer { cluster.remove() }
            try cluster.enqueue(messages)
            for _ in 0..<nodes { try cluster.startNode() }
            guard cluster.waitUntilSent(messages, within: 600) else {
                verdict.problems.append("\(nodes) node(s): not all sent in 10 minutes")
                cluster.stopAll()
                continue
            }
            cluster.stopAll()
            let arrivals = try ReceiverLog(cluster.receiverLog).attempts.values.flatMap { $0.map(\.ms) }
            let span = Double(arrivals.max()! - arrivals.min()!) / 1000
            rates[nodes] = Double(messages) / max(span, 0.001)
            figures.record("multinode_dispatch_\(nodes)_nodes_rate", rates[nodes]!.rounded(), "messages/s")
        }
        figures.record("multinode_dispatch_provider_delay", providerDelay * 1000, "ms")
        if let one = rates[1], let three = rates[3] {
            figures.record("multinode_dispatch_3_vs_1", (three / one * 100).rounded() / 100, "x")
            // A speed target, like the single node's: reported, never a failed run.
            if three < one * 2 { print("target missed: 3 nodes sent \(Int(three)) msg/s, one node \(Int(one)): less than twice") }
        }
        return verdict
    }

    /// One instant of a synthetic shop planned on PostgreSQL and on SQLite (`carecron simulate`,
    /// best of three each), after importing it into both with `carecron import`.
    public func planning(customers: Int) throws -> Verdict {
        let perf = Performance(figures: figures, source: source)
        let size = Performance.label(customers)
        let (sqlite, data) = try perf.shop(customers: customers)
        defer { sqlite.remove() }
        let settings = try server.createDatabase()
        let pg = try BenchShop(from: source, extra: ["database": Cluster.databaseObject(settings)])
        defer { pg.remove() }
        var verdict = Verdict()
        for kind in ["customers", "orders"] {
            let file = data.appendingPathComponent("\(kind).csv").path
            for (name, shop) in [("sqlite", sqlite), ("postgres", pg)] {
                let (exit, out, err) = try runToEnd(carecronBinary, ["import", kind, file, "--config", shop.config.path])
                guard exit.status == 0 else { throw BenchError("import \(kind) into \(name): \(out) \(err)") }
                let rows = Double(try lineCount(file) - 1)
                figures.record("multinode_import_\(kind)_\(size)_\(name)_rate", (rows / exit.wallSeconds).rounded(), "rows/s")
            }
        }
        let from = "\(perf.day)T09:00:00+07:00", to = "\(perf.day)T09:01:00+07:00"
        var best: [String: Double] = [:], outputs: [String: String] = [:]
        for (name, shop) in [("sqlite", sqlite), ("postgres", pg)] {
            let run = try Performance.simulateBestOfThree(shop, from: from, to: to)
            (best[name], outputs[name]) = (run.fastest.wallSeconds, run.output)
            figures.record("multinode_plan_instant_\(size)_\(name)_seconds", (best[name]! * 1000).rounded() / 1000, "s")
        }
        let ratio = best["postgres"]! / best["sqlite"]!
        figures.record("multinode_plan_instant_\(size)_postgres_vs_sqlite", (ratio * 100).rounded() / 100, "x")
        figures.record("multinode_plan_instant_\(size)_events", Double(outputs["postgres"]!.split(separator: "\n").count), "events")
        if outputs["postgres"] != outputs["sqlite"] { verdict.problems.append("the plans differ between PostgreSQL and SQLite") }
        if ratio > 2 { print("target missed: planning on PostgreSQL took \(ratio)x SQLite's time") }
        return verdict
    }
}

// MARK: - The cluster under test

/// One node process: its folder (a config.json of its own, posting to a path of its own) and log.
final class Node {
    let name: String
    let path: String
    let logFile: URL
    let child: Child
    var pid: pid_t { child.pid }

    init(name: String, path: String, logFile: URL, child: Child) {
        self.name = name
        self.path = path
        self.logFile = logFile
        self.child = child
    }

    func kill(_ signal: Int32) { child.signal(signal) }
    func log() -> String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    func logSize() -> Int { ((try? FileManager.default.attributesOfItem(atPath: logFile.path)[.size] as? Int) ?? 0) }
}

/// A database on the throwaway server, a receiver, a shop folder and the nodes started on it.
final class Cluster {
    let server: ThrowawayPostgres
    let settings: PostgresSettings
    let shop: BenchShop
    let receiver: Receiver
    let concurrency: Int
    private(set) var allNodes: [Node] = []
    var running: [Node] { allNodes.filter { $0.child.isRunning } }
    var receiverLog: URL { shop.receiverLog }

    init(server: ThrowawayPostgres, source: URL, lease: Double, concurrency: Int, ratePerSecond: Double?, providerDelay: Double) throws {
        self.server = server
        self.concurrency = concurrency
        settings = try server.createDatabase(leaseSeconds: lease)
        // A minute of quiet hours: the confirmations go out whatever the hour the run starts at.
        shop = try BenchShop(from: source, extra: ["database": Self.databaseObject(settings),
                                                   "quietHours": ["from": "03:00", "to": "03:01"], "log": ["level": "info"]])
        var faults = Receiver.Faults()
        faults.delaySeconds = providerDelay
        receiver = try Receiver(log: shop.receiverLog, faults: faults)
        try receiver.start()
        try shop.configure(senders: BenchShop.webhook(port: receiver.port, concurrency: concurrency, ratePerSecond: ratePerSecond))
        // Only the confirmations are planned: the other jobs have nothing to do in a bench shop.
        let jobs = shop.folder.appendingPathComponent("jobs")
        try FileManager.default.createDirectory(at: jobs, withIntermediateDirectories: true)
        let shipped = ConfigLoader.load(source).config?.jobsFolder ?? source.deletingLastPathComponent().appendingPathComponent("jobs")
        try FileManager.default.copyItem(at: shipped.appendingPathComponent("cod-confirmation.json"), to: jobs.appendingPathComponent("cod-confirmation.json"))
        try shop.setJobs(jobs)
        // The schema, as the first node would create it (`status` opens the store, which migrates it).
        let (exit, out, err) = try runToEnd(carecronBinary, ["status", "--config", shop.config.path])
        guard exit.status == 0 else { throw BenchError("carecron status on the new database: \(out) \(err)") }
    }

    static func databaseObject(_ s: PostgresSettings) -> [String: Any] {
        ["socket": s.socket!, "port": s.port, "user": s.user, "database": s.database, "leaseSeconds": s.leaseSeconds]
    }

    @discardableResult
    func sql(_ statement: String) throws -> String { try server.psql(settings, statement) }

    /// `count` customers, each with a cash-on-delivery order whose confirmation (10 minutes
    /// after the order) falls due over the next `dueOver` seconds, imported with `carecron import`.
    func importCashOnDelivery(_ count: Int, dueOver: Double) throws {
        var customers = "id,full_name,gender,phone\n", orders = "id,customer_id,placed_at,amount,payment_method,items\n"
        let format = ISO8601DateFormatter()
        format.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        let start = Date().addingTimeInterval(-600 + 5)
        for i in 0..<count {
            customers += "K\(i),Nguyễn Thị Mai \(i),female,09\(String(format: "%08d", 10_000_000 + i))\n"
            let placed = start.addingTimeInterval(dueOver * Double(i) / Double(max(1, count)))
            orders += "COD\(i),K\(i),\(format.string(from: placed)),\(150_000 + i),cod,Son duong moi x1\n"
        }
        for (kind, text) in [("customers", customers), ("orders", orders)] {
            let file = shop.folder.appendingPathComponent("\(kind).csv")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let (exit, out, err) = try runToEnd(carecronBinary, ["import", kind, file.path, "--config", shop.config.path])
            guard exit.status == 0 else { throw BenchError("import \(kind): \(out) \(err)") }
        }
    }

    /// `count` messages `bench:0…` due now, as a planner would have written them.
    func enqueue(_ count: Int) throws {
        guard count > 0 else { return }
        try sql("""
            INSERT INTO outbox (idempotency_key, job, channel, recipient, body, state, due_at, next_attempt_at, created_at, updated_at)
            SELECT 'bench:' || i, 'bench', 'sms', '+84912345678', 'Chi Lan oi, don ' || i || ' dang cho thanh toan', 'planned',
                   extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint,
                   extract(epoch FROM now())::bigint
            FROM generate_series(0, \(count - 1)) AS i;
            INSERT INTO outbox_keys (key, outbox_id, planned_at) SELECT idempotency_key, id, created_at FROM outbox WHERE job = 'bench'
            """)
    }

    /// Starts one more node process, with a config.json of its own posting to `/node-N`.
    func startNode() throws {
        let n = allNodes.count + 1
        let folder = shop.folder.appendingPathComponent("node-\(n)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("var"), withIntermediateDirectories: true)
        let path = "/node-\(n)", file = folder.appendingPathComponent("config.json")
        try shop.copyConfig(to: file) { config in
            var senders = config["senders"] as! [String: Any], hook = senders["hook"] as! [String: Any]
            hook["url"] = "http://127.0.0.1:\(receiver.port)\(path)"
            senders["hook"] = hook
            config["senders"] = senders
        }
        let log = folder.appendingPathComponent("node.log")
        let child = try Child(carecronBinary, ["run", "--config", file.path], stderr: log.path)
        allNodes.append(Node(name: "node-\(n)", path: path, logFile: log, child: child))
    }

    /// The node process that leads now, if any.
    func leader() throws -> Node? {
        let pid = try sql("""
            SELECT n.pid FROM leadership l JOIN nodes n ON n.id = l.holder WHERE l.role = 'planner' AND l.expires_at >= now()
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        return running.first { "\($0.pid)" == pid }
    }

    /// Waits until a running node other than `other` leads; when its term began (the database's
    /// clock, on this machine: exact, however long the polling took to see it).
    func waitForLeader(within seconds: Double, other: Set<pid_t> = []) throws -> Date? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let l = try leader(), !other.contains(l.pid) {
                let since = try sql("SELECT extract(epoch FROM acquired_at) FROM leadership WHERE role = 'planner'")
                return Double(since.trimmingCharacters(in: .whitespacesAndNewlines)).map { Date(timeIntervalSince1970: $0) }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    func sentCount() throws -> Int {
        Int(try sql("SELECT count(*) FROM outbox WHERE state = 'sent'").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Waits until `count` messages are sent.
    func waitUntilSent(_ count: Int, within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if ((try? sentCount()) ?? 0) >= count { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    /// SIGTERM to every node still running, and wait for them.
    func stopAll() {
        for n in running {
            n.kill(SIGCONT)
            n.kill(SIGTERM)
        }
        for n in allNodes where n.child.wait(seconds: 30) == nil { n.kill(SIGKILL); _ = n.child.wait() }
    }

    func remove() {
        for n in allNodes where n.child.isRunning { n.kill(SIGKILL); _ = n.child.wait() }
        receiver.shutdown()
        shop.remove()
    }
}
