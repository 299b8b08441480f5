import CarecronBench
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `carecron run` as nodes of one PostgreSQL database (issue 15), through the real binary: many
/// may run (no instance lock), one leads, `status` lists them, a leader stopping hands over at
/// once (its resignation is heard) and a killed one within the lease; a dry run never leads.
@Suite("Nodes on PostgreSQL", .serialized)
struct ClusterTests {
    struct Shop {
        let folder: URL
        var nodes: [Child] = []

        func status() throws -> String {
            let run = try TestSupport.carecron(["status"], in: folder)
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout
        }

        /// The pid of the node `status` shows leading, if any.
        func leader() throws -> pid_t? {
            let line = try status().split(separator: "\n").first { $0.hasSuffix("leader (plans and sends)") }
            guard let line, let r = line.range(of: " pid ") else { return nil }
            return pid_t(line[r.upperBound...].prefix { $0.isNumber })
        }

        /// Polls `status` until a node other than `other` leads; how long that took.
        func waitForLeader(other: pid_t? = nil, within seconds: Double) async throws -> (pid_t, Double)? {
            let start = Date()
            while Date().timeIntervalSince(start) < seconds {
                if let l = try leader(), l != other { return (l, Date().timeIntervalSince(start)) }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }

        mutating func start(_ extra: [String] = [], log name: String) throws -> Child {
            let child = try Child(TestSupport.binary.path, ["run", "--config", folder.appendingPathComponent("config.json").path] + extra,
                                  stderr: folder.appendingPathComponent(name).path)
            nodes.append(child)
            return child
        }

        func log(_ name: String) -> String { (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "" }
    }

    @Test func nodesShareOneDatabaseAndHandOverPlanning() async throws {
        let (folder, settings) = try await PostgresCommandsTests.shop(leaseSeconds: 5)
        /// When the current term began, in the database (the same machine's clock).
        func termStart() throws -> Date {
            Date(timeIntervalSince1970: Double(try TestPostgres.psql(settings, "SELECT extract(epoch FROM acquired_at) FROM leadership")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
        }
        try TestSupport.editConfig(folder) { $0["log"] = ["level": "info"] }
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: folder).status == 0)
        var shop = Shop(folder: folder)
        defer { for n in shop.nodes { n.signal(SIGKILL); _ = n.wait() } }

        let a = try shop.start(log: "a.log")
        let first = try #require(try await shop.waitForLeader(within: 90), "the first node leads")
        #expect(first.0 == a.pid)
        let b = try shop.start(log: "b.log")
        _ = try shop.start(["--dry-run"], log: "dry.log")
        try await Task.sleep(for: .seconds(2))
        let status = try shop.status()
        let nodeLines = status.split(separator: "\n").filter { $0.contains(" pid ") }
        #expect(nodeLines.count == 2, "two nodes (a dry run does not join): \(status)")
        #expect(nodeLines.contains { $0.contains("pid \(a.pid)") && $0.hasSuffix("leader (plans and sends)") }, "\(status)")
        #expect(nodeLines.contains { $0.contains("pid \(b.pid)") && $0.hasSuffix("sends") }, "\(status)")
        #expect(status.contains("host \(ProcessInfo.processInfo.hostName)"))
        #expect(a.isRunning && b.isRunning, "no instance lock on a shared database")

        #expect(status.contains("planner: term 1 since"), "\(status)")

        // SIGTERM: the leader resigns, and the other node hears it and takes over at once.
        let stopping = Date()
        a.signal(SIGTERM)
        #expect(a.wait(seconds: 25)?.status == 0)
        let handedOver = try #require(try await shop.waitForLeader(other: a.pid, within: 90))
        #expect(handedOver.0 == b.pid)
        let exited = Date()
        #expect(try termStart().timeIntervalSince(exited) < 2, "a resignation is heard at once, not after the 5 s lease")
        #expect(try termStart() > stopping)
        #expect(shop.log("a.log").contains("node left the shared database") && shop.log("a.log").contains("resigned=true"))
        #expect(!(try shop.status()).contains("pid \(a.pid)"), "a node that stopped cleanly leaves the list")

        // SIGKILL: nobody resigns; the lease lapses and another node takes over within it.
        let c = try shop.start(log: "c.log")
        // Joined (its heartbeat is in), so that what is measured is the take-over, not its start-up.
        for _ in 0..<100 where !(try shop.status()).contains("pid \(c.pid)") { try await Task.sleep(for: .milliseconds(200)) }
        let killed = Date()
        b.signal(SIGKILL)
        _ = b.wait()
        let tookOver = try #require(try await shop.waitForLeader(other: b.pid, within: 90))
        #expect(tookOver.0 == c.pid)
        let gap = try termStart().timeIntervalSince(killed)
        #expect(gap > 0 && gap <= 5.5, "within the lease (5 s; the bench measures it unloaded): \(gap) s")
        #expect(shop.log("c.log").contains("planning from where the last planner stopped"))

        let dry = shop.log("dry.log")
        #expect(!dry.contains("this node plans now") && !dry.contains("] planned"), "a dry run never plans for the nodes: \(dry)")
    }
}

extension ClusterTests {
    /// `/readyz` says whether this node reaches the shared database: the database refusing
    /// connections (and the open ones ended) turns it to 503 within seconds, and it comes back on its own.
    @Test func readyzSaysWhetherThisNodeReachesTheDatabase() async throws {
        let (folder, settings) = try await PostgresCommandsTests.shop(leaseSeconds: 5)
        let port = freePort()
        try TestSupport.editConfig(folder) { $0["http"] = ["listen": "127.0.0.1:\(port)", "token": ["env": "CARECRON_TEST_TOKEN"]] }
        let node = try Child(TestSupport.binary.path, ["run", "--config", folder.appendingPathComponent("config.json").path],
                             environment: ["CARECRON_TEST_TOKEN": "t0k3n"], stderr: folder.appendingPathComponent("node.log").path)
        defer { node.signal(SIGKILL); _ = node.wait() }
        func nodeLog() -> String {
            String((try? String(contentsOf: folder.appendingPathComponent("node.log"), encoding: .utf8))?.suffix(6000) ?? "")
        }
        func readyz() async -> (Int, String) {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/readyz")!)
            request.timeoutInterval = 10
            guard let (data, response) = try? await URLSession.shared.data(for: request) else { return (0, "") }
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        func waitFor(_ status: Int, within seconds: Double) async -> (Int, String) {
            let end = Date().addingTimeInterval(seconds)
            var last = (0, "")
            while Date() < end {
                last = await readyz()
                if last.0 == status { return last }
                try? await Task.sleep(for: .milliseconds(200))
            }
            return last
        }
        // Generous waits: under the full suite on two cores, a debug node's start and its pool's
        // reconnection took past 15 and 30 s (twice on 2026-12-06); what is asserted is the answer.
        #expect(await waitFor(200, within: 90).0 == 200, "ready once it reaches the database")

        // From the server's own database: the shop's refuses every connection, the open ones ended.
        let db = settings.database
        var admin = settings
        admin.database = "postgres"
        try TestPostgres.psql(admin, "ALTER DATABASE \(db) ALLOW_CONNECTIONS false")
        try TestPostgres.psql(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(db)'")
        let down = await waitFor(503, within: 60)
        #expect(down.0 == 503 && down.1.contains("database"), "\(down)")
        try TestPostgres.psql(admin, "ALTER DATABASE \(db) ALLOW_CONNECTIONS true")
        // PostgresNIO's pool retries a refused server with a backoff that grows to 60 s (not
        // configurable; a node once waited past 150 s under the full suite): the node renews a
        // pool that stays silent while the server answers (`PoolWatch`).
        let back = await waitFor(200, within: 60)
        #expect(back.0 == 200, "ready again once the database answers: \(back)\n\(nodeLog())")
        node.signal(SIGTERM)
        let stopped = node.wait(seconds: 25)
        #expect(stopped != nil, "stops cleanly after the outage: \(nodeLog())")
    }
}

extension ClusterTests {
    /// Issue 27, item 3, on two nodes: C001 answers "TC QC" through node A while her birthday
    /// greeting waits in the shared outbox, due in seconds; the reply cancels it in its own
    /// transaction, so node B (or A) never claims it, and the provider's retry of the same
    /// reply at node B stores nothing twice.
    @Test func anOptOutAtOneNodeStopsTheAdvertisingEveryNodeWouldSend() async throws {
        let (folder, settings) = try await PostgresCommandsTests.shop(leaseSeconds: 5)
        #expect(try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: folder).status == 0)
        let (portA, portB) = (freePort(), freePort())
        let other = try TestSupport.shopFolder()
        for (dir, port) in [(folder, portA), (other, portB)] {
            try TestSupport.editConfig(dir) { c in
                c["database"] = ["socket": settings.socket!, "port": settings.port, "user": "postgres", "database": settings.database, "leaseSeconds": 5]
                c["http"] = ["listen": "127.0.0.1:\(port)", "token": ["env": "CARECRON_TEST_TOKEN"]]
                c["senders"] = ["hook": ["type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": ["env": "HOOK_SECRET"]],
                                "file": ["type": "file", "path": "var/sent.jsonl"]]
                c["channels"] = ["sms": "file", "email": "file", "zalo": "file", "webhook": "hook"]
            }
        }
        let environment = ["CARECRON_TEST_TOKEN": "t0k3n", "HOOK_SECRET": "h00k"]
        var nodes: [Child] = []
        defer { for n in nodes { n.signal(SIGKILL); _ = n.wait() } }
        for (dir, name) in [(folder, "a.log"), (other, "b.log")] {
            nodes.append(try Child(TestSupport.binary.path, ["run", "--config", dir.appendingPathComponent("config.json").path],
                                   environment: environment, stderr: dir.appendingPathComponent(name).path))
        }
        func post(_ port: Int, _ json: String) async throws -> [String: Any] {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/inbound/hook")!)
            request.httpMethod = "POST"
            request.httpBody = Data(json.utf8)
            let mac = HMAC<SHA256>.authenticationCode(for: Data(json.utf8), using: SymmetricKey(data: Data("h00k".utf8))).map { String(format: "%02x", $0) }.joined()
            request.setValue("sha256=\(mac)", forHTTPHeaderField: "X-Carecron-Signature")
            request.timeoutInterval = 10
            let (data, _) = try await URLSession.shared.data(for: request)
            return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        }
        func ready(_ port: Int) async -> Bool {
            guard let (_, r) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/readyz")!) else { return false }
            return (r as? HTTPURLResponse)?.statusCode == 200
        }
        for port in [portA, portB] {
            let end = Date().addingTimeInterval(90)
            while Date() < end, !(await ready(port)) { try await Task.sleep(for: .milliseconds(200)) }
        }
        // Her birthday greeting (advertising), due in 3 s, and her order's reminder (transactional), due with it.
        let due = Int(Date().timeIntervalSince1970) + 3
        for (key, job) in [("birthday:C001:test", "birthday"), ("payment-reminder:T1:1", "payment-reminder")] {
            try TestPostgres.psql(settings, """
                INSERT INTO outbox (idempotency_key, job, customer_id, order_ids, channel, recipient, body, state, due_at, next_attempt_at,
                                    created_at, updated_at, fallbacks, priority)
                VALUES ('\(key)', '\(job)', 'C001', '', 'sms', '+84912345678', '\(job) C001', 'planned', \(due), \(due), \(due - 3), \(due - 3), '[]', 0)
                """)
        }
        let reply = #"{"id":"w-1","phone":"0912345678","text":"TC QC"}"#
        let answer = try await post(portA, reply)
        #expect(answer["optOuts"] as? Int == 1 && answer["cancelled"] as? Int == 1, "\(answer)")
        // In the same transaction as the reply: cancelled when the answer came, before any claim.
        let state = try TestPostgres.psql(settings, "SELECT state || ':' || last_error FROM outbox WHERE idempotency_key = 'birthday:C001:test'")
        #expect(state.trimmingCharacters(in: .whitespacesAndNewlines) == "cancelled:customer opted out of marketing", "\(state)")
        let retry = try await post(portB, reply)
        #expect(retry["replies"] as? Int == 0, "the provider's retry at the other node stores nothing twice: \(retry)")
        // Both nodes run past the greeting's time: the reminder goes, once, from one of them; the greeting never.
        let end = Date().addingTimeInterval(60)
        func sent() -> String {
            [folder, other].map { (try? String(contentsOf: $0.appendingPathComponent("var/sent.jsonl"), encoding: .utf8)) ?? "" }.joined()
        }
        while Date() < end, !sent().contains("payment-reminder C001") { try await Task.sleep(for: .milliseconds(200)) }
        try await Task.sleep(for: .seconds(2))
        #expect(sent().contains("payment-reminder C001") && !sent().contains("birthday C001"), "\(sent())")
        #expect(try TestPostgres.psql(settings, "SELECT count(*) FROM replies").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        #expect(try TestPostgres.psql(settings, "SELECT opt_out FROM customers WHERE id = 'C001'").trimmingCharacters(in: .whitespacesAndNewlines) == "marketing")
    }
}
