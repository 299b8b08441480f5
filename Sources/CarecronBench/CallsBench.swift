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
        guard let curl = which("curl") else { throw BenchError("curl not found: the console figures need it as their client") }
        let port = freePort()
        let log = shop.folder.appendingPathComponent("console.log").path
        let child = try Child(binary, ["console", "--listen", "127.0.0.1:\(port)", "--at", "\(day)T10:00:00+07:00", "--config", shop.config.path],
                              stdout: log, stderr: log)
        defer { child.signal(SIGKILL); _ = child.wait() }
        let base = "http://127.0.0.1:\(port)/console", jar = shop.folder.appendingPathComponent("cookies").path
        let page = shop.folder.appendingPathComponent("page.html").path
        func fetch(_ path: String, form: [String] = []) throws -> (status: Int, seconds: Double, bytes: Int) {
            var args = ["-s", "-o", page, "-c", jar, "-b", jar, "-w", "%{http_code} %{time_total} %{size_download}"]
            for field in form { args += ["--data-urlencode", field] }
            if !form.isEmpty { args += ["-H", "Origin: http://127.0.0.1:\(port)"] }
            let (exit, out, err) = try runToEnd(curl, args + [base + path])
            guard exit.status == 0 else { throw BenchError("curl \(path): \(err)") }
            let f = out.split(separator: " ")
            return (Int(f[0]) ?? 0, Double(f[1]) ?? 0, Int(f[2]) ?? 0)
        }
        let deadline = Date().addingTimeInterval(30)
        while (try? fetch("/login").status) != 200, Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        let login = try fetch("/login", form: ["user=a07", "password=\(Self.agentPassword)"])
        guard login.status == 303 else { throw BenchError("the agent's login answered \(login.status); see \(log)") }
        var times: [Double] = [], bytes = 0
        for _ in 0..<5 {
            let r = try fetch("/calls?date=\(day)")
            guard r.status == 200 else { throw BenchError("the calls page answered \(r.status); see \(log)") }
            times.append(r.seconds)
            bytes = r.bytes
        }
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let cards = html.components(separatedBy: "<li class=\"call").count - 1
        guard cards == calls / agents else { throw BenchError("the agent's page shows \(cards) calls, not \(calls / agents)") }
        times.sort()
        figures.record("calls_agent_page_\(size)_seconds", times[2], "s")
        figures.record("calls_agent_page_\(size)_size", Double(bytes / 1024), "KB")
        figures.record("calls_agent_page_\(size)_calls", Double(cards), "calls")
    }
}
