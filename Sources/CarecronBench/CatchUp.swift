import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation

extension Performance {
    /// Issue 14, figure 5: `carecron run` started after a 24-hour outage of a live shop. The CPU
    /// it uses before its first message reaches the provider (the day's catch-up is planned
    /// first), and whether every transactional message went out before the backlog of others.
    public func catchUp(customers: Int, outage: TimeInterval = 86_400, settleSeconds: Double = 60) throws {
        let size = Self.label(customers)
        let (shop, data) = try self.shop(customers: customers, day: liveDay)
        defer { shop.remove() }
        try shop.quietHoursAway()
        try importRate(shop, data: data, customers: customers, record: false)
        let receiver = try Receiver(log: shop.receiverLog)
        try receiver.start()
        defer { receiver.shutdown() }
        try shop.configure(senders: BenchShop.webhook(port: receiver.port, concurrency: 16))
        // The service was last alive a day ago.
        try Store(url: shop.database).beat(Date().addingTimeInterval(-outage))

        let child = try Child(binary, ["run", "--config", shop.config.path], stderr: shop.folder.appendingPathComponent("run.log").path)
        let deadline = Date().addingTimeInterval(120)
        while receiver.requests == 0, Date() < deadline, child.isRunning { Thread.sleep(forTimeInterval: 0.002) }
        guard receiver.requests > 0, let cpu = child.cpuSeconds() else {
            child.signal(SIGTERM)
            _ = child.wait(seconds: 30)
            throw BenchError("carecron run sent nothing within 120 s of starting after an outage")
        }
        let firstSend = Date()
        figures.record("catchup_\(size)_cpu_before_first_send", cpu, "s")
        figures.record("catchup_\(size)_first_send_after", firstSend.timeIntervalSince(child.started), "s")
        // The backlog goes out; the count settles.
        var last = -1
        let end = Date().addingTimeInterval(settleSeconds)
        while Date() < end, receiver.requests != last {
            last = receiver.requests
            Thread.sleep(forTimeInterval: 1)
        }
        child.signal(SIGTERM)
        guard let exit = child.wait(seconds: 30), exit.status == 0 else { throw BenchError("carecron run did not stop cleanly on SIGTERM") }

        let due = try Dictionary(Outbox(store: Store(url: shop.database)).list(state: nil, limit: Int.max)
            .map { ($0.key, Int64($0.dueAt.timeIntervalSince1970)) }, uniquingKeysWith: { a, _ in a })
        // What fell due in the outage is due when the service came back: its own start (the end
        // of its downtime), a fraction of a second after `child.started`, and due_at is stored to the
        // second. Cut at the first send, which follows that start: cut at `child.started`, the
        // whole backlog was left out whenever the start crossed into the next second.
        let backlog = Set(due.filter { $0.value <= Int64(firstSend.timeIntervalSince1970) }.keys)
        let order = try CatchUpOrder(log: shop.receiverLog, purposes: purposes(shop), backlog: backlog)
        figures.record("catchup_\(size)_messages", Double(order.sent), "messages")
        figures.record("catchup_\(size)_backlog", Double(order.backlog), "messages")
        figures.record("catchup_\(size)_transactional", Double(order.transactional), "messages")
        figures.record("catchup_\(size)_others_before_last_transactional", Double(order.othersBeforeLastTransactional), "messages")
    }

    /// Each job's purpose, by the job names that start the messages' keys.
    func purposes(_ shop: BenchShop) throws -> [String: Purpose] {
        let loaded = ConfigLoader.load(shop.config)
        guard loaded.config != nil else { throw BenchError("bench config: \(loaded.diagnostics)") }
        return Dictionary(loaded.jobs.map { ($0.name, $0.purpose) }, uniquingKeysWith: { a, _ in a })
    }
}

/// The order in which a provider first saw each message of the backlog (due by the service's
/// first send after the outage; from the bench receiver's log): how many non-transactional ones
/// came before the last transactional one. Messages that fell due later are not the backlog.
struct CatchUpOrder {
    var sent = 0
    var backlog = 0
    var transactional = 0
    var othersBeforeLastTransactional = 0

    init(log: URL, purposes: [String: Purpose], backlog keys: Set<String>) throws {
        let attempts = try ReceiverLog(log).attempts
        sent = attempts.count
        let firsts = attempts.filter { keys.contains($0.key) }.compactMap { key, a in a.map(\.ms).min().map { (key, $0) } }
            .sorted { $0.1 < $1.1 }
        let isTransactional = { (key: String) in purposes[String(key.prefix { $0 != ":" })] == .transactional }
        let lastTransactional = firsts.lastIndex { isTransactional($0.0) }
        backlog = firsts.count
        transactional = firsts.filter { isTransactional($0.0) }.count
        if let lastTransactional {
            othersBeforeLastTransactional = firsts[..<lastTransactional].filter { !isTransactional($0.0) }.count
        }
    }
}
