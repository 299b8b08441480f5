import CarecronDomain
@_spi(Bench) import CarecronSQLite
import CarecronStorage
import Foundation

/// Issue 29's figures over a synthetic shop of `customers` customers with `calls` calls a day
/// among `agents` agents, `historyDays` days of them done before: every agent's list of the day
/// (`carecron calls list`, the whole process), and one agent's page (*Cuộc gọi hôm nay*, logged
/// in as the agent, on a real `carecron console` with curl as the phone's browser).
extension Performance {
    /// The agents' password, for the bench's console only.
    static let agentPassword = "bench-agent-1"
    static let agentHash = "$2b$12$jsp/4fxc83AH8.uCqRJ0yOxJ40a7zKzUuDV.V0egiu/gzoRSOVIPq"

    public func calls(customers: Int, calls: Int, agents: Int, historyDays: Int) throws {
        let size = Self.label(customers)
        let (shop, data) = try self.shop(customers: customers)
        defer { shop.remove() }
        try importRate(shop, data: data, customers: customers, record: false)
        try shop.edit { c in
            c["console"] = ["users": Dictionary(uniqueKeysWithValues: (1...agents).map { i in
                (String(format: "a%02d", i), ["role": "agent", "passwordHash": Self.agentHash, "displayName": String(format: "Nhân viên %02d", i)] as [String: Any])
            })]
        }
        let clock = ShopClock(zoneIdentifier: "Asia/Ho_Chi_Minh")!
        let today = LocalDate(iso: day)!
        let filled = Date()
        try Store(url: shop.database).fillWithCalls(today: calls, historyDays: historyDays, agents: agents, dayStart: clock.startOfDay(today),
                                                     customers: customers)
        figures.record("calls_fill_\(size)_seconds", Date().timeIntervalSince(filled), "s")

        // Every agent's list of the day, as `calls list` prints it for paper: the median of three runs.
        var lists: [(seconds: Double, peak: Int)] = []
        var printed = 0
        for _ in 0..<3 {
            let (exit, out, err) = try runToEnd(binary, ["calls", "list", "--date", day, "--format", "csv", "--config", shop.config.path])
            guard exit.status == 0 else { throw BenchError("carecron calls list failed: \(err)") }
            lists.append((exit.wallSeconds, exit.peakBytes))
            printed = out.split(separator: "\n").count - 1
        }
        guard printed == calls else { throw BenchError("calls list printed \(printed) calls of \(calls)") }
        lists.sort { $0.seconds < $1.seconds }
        figures.record("calls_all_lists_\(size)_seconds", lists[1].seconds, "s")
        figures.record("calls_all_lists_\(size)_peak_memory", Double(lists[1].peak / 1_048_576), "MB")
        figures.record("calls_all_lists_\(size)_calls", Double(printed), "calls")

        // One agent's page, logged in as the agent.
        let console = try BenchConsole(binary: binary, shop: shop, at: "\(day)T10:00:00+07:00", readyStatus: 200)
        defer { console.stop() }
        let log = console.log
        func fetch(_ path: String, form: [String] = []) throws -> (status: Int, seconds: Double, bytes: Int) { try console.fetch(path, form: form) }
        let login = try fetch("/login", form: ["user=a07", "password=\(Self.agentPassword)"])
        guard login.status == 303 else { throw BenchError("the agent's login answered \(login.status); see \(log)") }
        var times: [Double] = [], bytes = 0
        for _ in 0..<5 {
            let r = try fetch("/calls?date=\(day)")
            guard r.status == 200 else { throw BenchError("the calls page answered \(r.status); see \(log)") }
            times.append(r.seconds)
            bytes = r.bytes
        }
        let html = try String(contentsOfFile: console.page, encoding: .utf8)
        let cards = html.components(separatedBy: "<li class=\"call").count - 1
        guard cards == calls / agents else { throw BenchError("the agent's page shows \(cards) calls, not \(calls / agents)") }
        times.sort()
        figures.record("calls_agent_page_\(size)_seconds", times[2], "s")
        figures.record("calls_agent_page_\(size)_size", Double(bytes / 1024), "KB")
        figures.record("calls_agent_page_\(size)_calls", Double(cards), "calls")
    }
}
