@testable import CarecronConsole
import CarecronDelivery
import CarecronConfig
import Foundation
import HummingbirdBcrypt
import Testing

/// Issue 24, items 8 and 12–15: what the hostile tester did to the console and the HTTP server,
/// each through the real `carecron` binary (`run` and `console`), over real sockets.
@Suite("The console and the HTTP server under attack", .serialized)
struct ConsoleSecurityTests {
    /// A `carecron` process serving HTTP on 127.0.0.1, stopped with the test. Unchecked: its
    /// state is set once, and threads of a test only read it.
    final class Server: @unchecked Sendable {
        let folder: URL
        let port: Int
        let log: URL
        let process: Process

        /// Starts `carecron ARGS` (`run` or `console …`) in the shop folder and waits until it answers.
        init(_ args: [String], in folder: URL, port: Int, environment: [String: String] = [:]) throws {
            self.folder = folder
            self.port = port
            log = folder.appendingPathComponent("server-\(port).log")
            process = try TestSupport.start(args, in: folder, environment: environment, log: log)
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, process.isRunning {
                if let r = try? RawHTTP.send(port: port, "GET", "/console/static/console.css", timeout: 2), r.status == 200 { return }
                usleep(100_000)
            }
            throw RawHTTP.Failure(description: "carecron \(args) did not answer on \(port):\n\(logText)")
        }

        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func get(_ path: String, host: String? = nil, headers: [(String, String)] = []) throws -> RawHTTP.Reply {
            try RawHTTP.send(port: port, "GET", path, host: host, headers: headers)
        }

        /// A form post as the console's page sends it (its own origin), unless told otherwise.
        func post(_ path: String, _ fields: [String: String], cookie: String? = nil, host: String? = nil,
                  origin: String? = "own", referer: String? = nil, from source: String = "127.0.0.1") throws -> RawHTTP.Reply {
            var headers = [("Content-Type", "application/x-www-form-urlencoded")]
            if let cookie { headers.append(("Cookie", cookie)) }
            if let origin { headers.append(("Origin", origin == "own" ? "http://127.0.0.1:\(port)" : origin)) }
            if let referer { headers.append(("Referer", referer)) }
            return try RawHTTP.send(port: port, "POST", path, host: host, headers: headers, body: RawHTTP.form(fields), from: source)
        }

        func stop() {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
    }

    /// A shop folder with the demo customers imported (the console reads the store).
    static func shop(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let dir = try TestSupport.shopFolder()
        let r = try TestSupport.carecron(["import", "customers", "demo/customers.csv"], in: dir)
        precondition(r.status == 0, r.stderr)
        try TestSupport.editConfig(dir) { c in
            c["senders"] = ["audit": ["type": "file", "path": "var/sent.jsonl"]]
            c["channels"] = ["sms": "audit", "email": "audit", "zalo": "audit"]
            change(&c)
        }
        return dir
    }

    /// The `http` section of a service listening on `port` (token from $API_TOKEN).
    static func http(_ port: Int, _ extra: [String: Any] = [:]) -> [String: Any] {
        ["listen": "127.0.0.1:\(port)", "token": ["env": "API_TOKEN"]].merging(extra) { _, b in b }
    }

    /// The session cookie of an answer, as the browser sends it back.
    static func cookie(_ r: RawHTTP.Reply) -> String? { r.headers["set-cookie"].map { String($0.split(separator: ";")[0]) } }

    static func field(_ page: String, _ name: String) -> String? {
        guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "\"" })
    }

    /// The editor of a job through the login-free loopback console: its session, token and base.
    static func openEditor(_ s: Server, _ job: String) throws -> (cookie: String, csrf: String, base: String) {
        let page = try s.get("/console/jobs/\(job)/edit")
        guard page.status == 200, let cookie = cookie(page), let csrf = field(page.body, "csrf"), let base = field(page.body, "base") else {
            throw RawHTTP.Failure(description: "the editor did not open: \(page.status) \(page.body.prefix(300))")
        }
        return (cookie, csrf, base)
    }

    // MARK: 13. DNS rebinding: only the console's own names, forms only from its own pages

    @Test func theConsoleAnswersOnlyToItsOwnNamesAndFormsOnlyFromItsOwnPages() throws {
        let dir = try Self.shop()
        let port = closedPort()
        let s = try Server(["console", "--listen", "127.0.0.1:\(port)"], in: dir, port: port)
        let file = dir.appendingPathComponent("jobs/birthday.json")
        let shipped = try String(contentsOf: file, encoding: .utf8)

        // Another site's name pointed at 127.0.0.1: refused before any session, in the page's language.
        let rebound = try s.get("/console/jobs/birthday/edit", host: "evil.example:\(port)")
        #expect(rebound.status == 421, "\(rebound.status)")
        #expect(rebound.body.contains("Bảng điều khiển không phục vụ dưới tên “evil.example:\(port)”"), "\(rebound.body)")
        #expect(rebound.body.contains("http://127.0.0.1:\(port)/console/"))
        #expect(Self.field(rebound.body, "csrf") == nil && rebound.headers["set-cookie"] == nil, "no token, no session for another site")
        let english = try s.get("/console/plan?lang=en", host: "evil.example:\(port)")
        #expect(english.status == 421 && english.body.contains("This console does not answer to the name “evil.example:\(port)”"))
        #expect(try s.get("/console/plan", host: "127.0.0.1:\(port + 1)").status == 421, "another port is another site")
        #expect(try s.get("/console/plan", host: "").status == 421, "no Host at all")
        for own in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)"] {
            #expect(try s.get("/console/plan?from=2026-12-01&days=1", host: own).status == 200, "\(own)")
        }

        let (cookie, csrf, base) = try Self.openEditor(s, "birthday")
        let disabled = shipped.replacingOccurrences(of: "\"enabled\": true", with: "\"enabled\": false")
        let save = ["csrf": csrf, "base": base, "text": disabled]
        // What the tester's page did: the token read, then the form posted under its own name.
        let underItsName = try s.post("/console/jobs/birthday/save", save, cookie: cookie, host: "evil.example:\(port)",
                                      origin: "http://evil.example:\(port)")
        #expect(underItsName.status == 421)
        let fromElsewhere = try s.post("/console/jobs/birthday/save?lang=en", save, cookie: cookie, origin: "http://evil.example:\(port)")
        #expect(fromElsewhere.status == 403 && fromElsewhere.body.contains("This form was sent from another site (http://evil.example:\(port)), so nothing was changed."),
                "\(fromElsewhere.body)")
        let nullOrigin = try s.post("/console/jobs/birthday/save", save, cookie: cookie, origin: "null")
        #expect(nullOrigin.status == 403, "a sandboxed page's origin")
        let byReferer = try s.post("/console/jobs/birthday/save", save, cookie: cookie, origin: nil, referer: "http://evil.example/page.html")
        #expect(byReferer.status == 403, "without Origin, the Referer is checked")
        let anonymous = try s.post("/console/jobs/birthday/save?lang=en", save, cookie: cookie, origin: nil)
        #expect(anonymous.status == 403 && anonymous.body.contains("This form did not say which page sent it"), "\(anonymous.body)")
        #expect(try String(contentsOf: file, encoding: .utf8) == shipped, "nothing reached the file")
        // Each refusal says the one thing that happened.
        #expect(!fromElsewhere.body.contains("stale") && !fromElsewhere.body.contains("viewer"))

        // The console's own page, by Origin or by Referer: saved.
        let own = try s.post("/console/jobs/birthday/save", save, cookie: cookie, origin: nil,
                             referer: "http://127.0.0.1:\(port)/console/jobs/birthday/edit")
        #expect(own.status == 303, "\(own.status) \(own.body.prefix(300))")
        #expect(try String(contentsOf: file, encoding: .utf8) == disabled)
        s.stop()
    }

    @Test func aReverseProxysNamesAreAddedInConfigAndChecked() throws {
        let port = closedPort()
        let dir = try Self.shop { c in c["console"] = ["allowedHosts": ["Console.HoaSen.vn", "console.hoasen.vn:8443"]] }
        let s = try Server(["console", "--listen", "127.0.0.1:\(port)"], in: dir, port: port)
        #expect(try s.get("/console/plan?from=2026-12-01&days=1", host: "console.hoasen.vn").status == 200)
        #expect(try s.get("/console/plan?from=2026-12-01&days=1", host: "console.hoasen.vn:8443").status == 200)
        #expect(try s.get("/console/plan", host: "console.hoasen.vn:9999").status == 421)
        #expect(try s.get("/console/plan", host: "shop.hoasen.vn").status == 421)
        let (cookie, csrf, _) = try Self.openEditor(s, "birthday")
        let proxied = try s.post("/console/logout", ["csrf": csrf], cookie: cookie, host: "127.0.0.1:\(port)", origin: "https://console.hoasen.vn")
        #expect(proxied.status == 303, "the proxy's public origin: \(proxied.status)")
        s.stop()
        try TestSupport.editConfig(dir) { c in c["console"] = ["allowedHosts": ["https://console.hoasen.vn/console", "a b"]] }
        let validate = try TestSupport.carecron(["validate"], in: dir)
        #expect(validate.status == 1, "\(validate.stdout)")
        #expect(validate.stdout.contains("config.json: console.allowedHosts[0]: \"https://console.hoasen.vn/console\" must be a host name with an optional port"),
                "\(validate.stdout)")
        #expect(validate.stdout.contains("config.json: console.allowedHosts[1]"))
    }

    // MARK: 12. A user who cannot be loaded keeps the console closed

    @Test func aUserWhoseHashCannotBeReadKeepsTheConsoleClosedUnderConsoleAndRun() throws {
        let port = closedPort()
        let dir = try Self.shop { c in
            c["http"] = Self.http(port)
            c["console"] = ["users": ["minh": ["role": "viewer", "passwordHash": ["file": "secrets/minh.hash"]]]]
        }
        let validate = try TestSupport.carecron(["validate"], in: dir, environment: ["API_TOKEN": "t0k3n"])
        #expect(validate.status == 1, "\(validate.stdout)")
        #expect(validate.stdout.contains("config.json: console.users.minh.passwordHash: secret file \(dir.appendingPathComponent("secrets/minh.hash").path) cannot be read; the console stays closed until every user can be loaded"),
                "\(validate.stdout)")

        func expectClosed(_ s: Server, _ command: String) throws {
            let page = try s.get("/console/plan")
            #expect(page.status == 503, "\(command): \(page.status)")
            #expect(page.body.contains("Bảng điều khiển đang đóng") && page.body.contains("Không nạp được mã băm mật khẩu của một người dùng bảng điều khiển"), "\(command): \(page.body)")
            #expect(!page.body.contains("local (editor)") && page.headers["set-cookie"] == nil, "\(command): nobody is signed in")
            let english = try s.get("/console/jobs/birthday/edit?lang=en")
            #expect(english.status == 503 && english.body.contains("password hash in config.json (console.users) cannot be loaded, so the console stays closed."))
            #expect(try s.post("/console/login", ["user": "minh", "password": "anything"]).status == 503)
            #expect(s.logText.contains("console user cannot be loaded: config.json: console.users.minh.passwordHash: secret file"), "\(command): \(s.logText)")
            #expect(s.logText.contains("console closed"), "\(command)")
        }
        let consolePort = closedPort()
        let console = try Server(["console", "--listen", "127.0.0.1:\(consolePort)"], in: dir, port: consolePort)
        try expectClosed(console, "console")
        console.stop()
        let run = try Server(["run"], in: dir, port: port, environment: ["API_TOKEN": "t0k3n"])
        try expectClosed(run, "run")
        #expect(try run.get("/healthz").status == 200, "the API and the scheduler keep working")
        run.stop()

        // A secret that is there but holds no bcrypt hash, beside a user who loads: closed as well.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        try "mat-khau-minh\n".write(to: dir.appendingPathComponent("secrets/minh.hash"), atomically: true, encoding: .utf8)
        try TestSupport.editConfig(dir) { c in
            c["console"] = ["users": ["lan": ["role": "editor", "passwordHash": Bcrypt.hash("mat-khau-lan", cost: 4)],
                                      "minh": ["role": "viewer", "passwordHash": ["file": "secrets/minh.hash"]]]]
        }
        let notAHash = try TestSupport.carecron(["validate"], in: dir, environment: ["API_TOKEN": "t0k3n"])
        #expect(notAHash.status == 1 && notAHash.stdout.contains("config.json: console.users.minh.passwordHash: the secret is not a bcrypt hash"),
                "\(notAHash.stdout)")
        let users = ConsoleUsers(try #require(ConfigLoader.load(dir.appendingPathComponent("config.json")).config).console, relativeTo: dir)
        #expect(users.isClosed && !users.isEmpty)
        // With the hash in place, validate is content and the console opens with a login.
        try Bcrypt.hash("mat-khau-minh", cost: 4).write(to: dir.appendingPathComponent("secrets/minh.hash"), atomically: true, encoding: .utf8)
        let fixed = try TestSupport.carecron(["validate"], in: dir, environment: ["API_TOKEN": "t0k3n"])
        #expect(fixed.status == 0, "\(fixed.stdout)")
        let open = try Server(["console", "--listen", "127.0.0.1:\(consolePort)"], in: dir, port: consolePort)
        let plan = try open.get("/console/plan")
        #expect(plan.status == 303 && plan.headers["location"] == "/console/login", "a login is asked for: \(plan.status)")
        open.stop()
    }

    // MARK: 14. Logins: limited per user and per address, bcrypt off the request threads

    /// Runs `body(i)` for each i on its own thread, all at once, and returns the results in order.
    static func together<T>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = Collected<T>(), group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            Thread.detachNewThread {
                let r = body(i)
                results.lock.withLock { results.items[i] = r }
                group.leave()
            }
        }
        group.wait()
        return (0..<count).map { results.items[$0]! }
    }

    @Test func parallelWrongLoginsLeaveHealthzFastAndTheSixthAttemptIsRefusedEvenWithTheRightPassword() throws {
        let port = closedPort()
        let dir = try Self.shop { c in
            c["http"] = Self.http(port)
            // lan's hash at the service's own cost (12): each check is a quarter of a second of CPU.
            c["console"] = ["users": ["lan": ["role": "editor", "passwordHash": Bcrypt.hash("lan-mat-khau-1", cost: 12)],
                                      "minh": ["role": "viewer", "passwordHash": Bcrypt.hash("minh-mat-khau-2", cost: 4)]]]
        }
        let s = try Server(["run"], in: dir, port: port, environment: ["API_TOKEN": "t0k3n"])

        // 40 wrong logins at once from 127.0.0.2 (unknown users: each costs a cost-12 hash), and
        // /healthz asked all along.
        final class Probe: @unchecked Sendable { var seconds: [Double] = []; var done = false; let lock = NSLock() }
        let probe = Probe()
        let prober = Thread {
            while !probe.lock.withLock({ probe.done }) {
                let r = try? RawHTTP.send(port: port, "GET", "/healthz", timeout: 30)
                probe.lock.withLock { probe.seconds.append(r?.status == 200 ? r!.seconds : 99) }
                usleep(50_000)
            }
        }
        prober.start()
        let storm = Self.together(40) { i in
            (try? RawHTTP.send(port: port, "POST", "/console/login",
                               headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "http://127.0.0.1:\(port)")],
                               body: RawHTTP.form(["user": "guess\(i)", "password": "wrong"]), from: "127.0.0.2", timeout: 60))?.status ?? 0
        }
        probe.lock.withLock { probe.done = true }
        while !prober.isFinished { usleep(10_000) }
        let latencies = probe.lock.withLock { probe.seconds }
        print("healthz during 40 parallel wrong logins: \(latencies.count) probes, max \(String(format: "%.3f", latencies.max() ?? 0)) s")
        #expect(latencies.count >= 3, "the storm lasted long enough to be probed: \(latencies)")
        #expect((latencies.max() ?? 99) < 1.0, "/healthz stays fast while passwords are checked: \(latencies)")
        // The address had its 20 failures; the other attempts were refused without a hash.
        #expect(storm.filter { $0 == 401 }.count == 20 && storm.filter { $0 == 429 }.count == 20, "\(storm)")
        #expect(try s.post("/console/login", ["user": "minh", "password": "minh-mat-khau-2"], from: "127.0.0.2").status == 429,
                "that address is refused even a right password")

        // Per user: five wrong passwords for lan (from 127.0.0.3), then the right one is refused.
        for _ in 0..<5 {
            #expect(try s.post("/console/login", ["user": "lan", "password": "doan-mo"], from: "127.0.0.3").status == 401)
        }
        let sixth = try s.post("/console/login?lang=en", ["user": "lan", "password": "lan-mat-khau-1"], from: "127.0.0.3")
        #expect(sixth.status == 429 && sixth.headers["set-cookie"] == nil, "\(sixth.status)")
        #expect(sixth.body.contains("Too many failed logins for this user or from this address: try again in 15 min."), "\(sixth.body)")
        let retryAfter = Int(sixth.headers["retry-after"] ?? "") ?? 0
        #expect((800...900).contains(retryAfter), "until the first failure leaves the 15-minute window: \(retryAfter)")
        #expect(try s.post("/console/login", ["user": "lan", "password": "lan-mat-khau-1"], from: "127.0.0.4").status == 429,
                "the user is refused from any address")
        #expect(s.logText.contains("console login failed") && s.logText.contains("console logins refused: too many failures"), "\(s.logText)")
        #expect(s.logText.contains("user=lan"))

        // Another address, another user: let in. A success clears the user's count.
        for _ in 0..<4 { #expect(try s.post("/console/login", ["user": "minh", "password": "x"], from: "127.0.0.5").status == 401) }
        #expect(try s.post("/console/login", ["user": "minh", "password": "minh-mat-khau-2"], from: "127.0.0.5").status == 303)
        for _ in 0..<5 { #expect(try s.post("/console/login", ["user": "minh", "password": "x"], from: "127.0.0.5").status == 401) }
        #expect(try s.post("/console/login", ["user": "minh", "password": "minh-mat-khau-2"], from: "127.0.0.5").status == 429)
        // The login form too must come from the console's own page.
        let forged = try s.post("/console/login", ["user": "lan", "password": "lan-mat-khau-1"], origin: "http://evil.example", from: "127.0.0.6")
        #expect(forged.status == 403 && forged.headers["set-cookie"] == nil)
        s.stop()
    }

    @Test func theLimitLiftsAsFailuresLeaveTheWindow() async {
        let throttle = LoginThrottle()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<5 {
            #expect(await throttle.admit(user: "lan", address: "a", now: t0.addingTimeInterval(Double(i))) == .admitted)
            await throttle.finish(user: "lan", address: "a", succeeded: false, now: t0.addingTimeInterval(Double(i)))
        }
        #expect(await throttle.admit(user: "lan", address: "b", now: t0.addingTimeInterval(60)) == .refused(until: t0.addingTimeInterval(900), first: true))
        #expect(await throttle.admit(user: "lan", address: "b", now: t0.addingTimeInterval(61)) == .refused(until: t0.addingTimeInterval(900), first: false))
        #expect(await throttle.admit(user: "lan", address: "b", now: t0.addingTimeInterval(900.5)) == .admitted, "the first failure has left")
        // Attempts in flight count: five at once fill the user's share before any fails.
        for _ in 0..<5 { #expect(await throttle.admit(user: "minh", address: "c\(Int.random(in: 0...1000))", now: t0) == .admitted) }
        if case .refused = await throttle.admit(user: "minh", address: "d", now: t0) {} else { Issue.record("a sixth parallel attempt was let in") }
    }

    // MARK: 8. Job history: two saves from one version, every version kept

    @Test func twoParallelSavesFromOneVersionCannotBothWinAcrossProcessesAndEveryVersionIsKept() throws {
        let dir = try Self.shop()
        var ports = [closedPort()]
        while ports.count < 2 { let p = closedPort(); if p != ports[0] { ports.append(p) } }
        // Two consoles on one jobs folder, both at a frozen instant (every save in the same second).
        let servers = try ports.map { try Server(["console", "--listen", "127.0.0.1:\($0)", "--at", "2026-12-01T08:00:00+07:00"], in: dir, port: $0) }
        let file = dir.appendingPathComponent("jobs/birthday.json")
        let shipped = try String(contentsOf: file, encoding: .utf8)
        let editors = try servers.map { try Self.openEditor($0, "birthday") }
        #expect(editors[0].base == editors[1].base)
        // Eight saves at once, four through each process, each a different valid text made from the shipped version.
        let texts = (0..<8).map { shipped + String(repeating: "\n", count: $0 + 1) }
        let answers = Self.together(8) { i in
            let (s, e) = (servers[i % 2], editors[i % 2])
            return (try? s.post("/console/jobs/birthday/save?lang=en", ["csrf": e.csrf, "base": e.base, "text": texts[i]], cookie: e.cookie))
        }
        let statuses = answers.map { $0?.status ?? 0 }
        #expect(statuses.filter { $0 == 303 }.count == 1 && statuses.filter { $0 == 409 }.count == 7, "one save wins: \(statuses)")
        #expect(answers.allSatisfy { $0?.status != 409 || $0!.body.contains("The file changed on disk since you opened it") })
        let saved = try String(contentsOf: file, encoding: .utf8)
        #expect(statuses.firstIndex(of: 303).map { texts[$0] } == saved, "the winner's text is the file")
        let history = dir.appendingPathComponent("jobs/.history/birthday")
        func versions() throws -> [String: String] {
            Dictionary(uniqueKeysWithValues: try FileManager.default.contentsOfDirectory(atPath: history.path).map {
                ($0, try String(contentsOf: history.appendingPathComponent($0), encoding: .utf8))
            })
        }
        let first = try versions()
        #expect(first.values.sorted() == [shipped], "the shipped version is kept, once: \(first.keys.sorted())")

        // The processes are ordered by an flock on the jobs folder: while another holds it, a save waits.
        let folder = open(dir.appendingPathComponent("jobs").path, O_RDONLY | O_DIRECTORY)
        #expect(folder >= 0 && flock(folder, LOCK_EX) == 0)
        let e = try Self.openEditor(servers[1], "birthday")
        let held = Collected<Int>(), answered = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let r = try? servers[1].post("/console/jobs/birthday/save", ["csrf": e.csrf, "base": e.base, "text": saved + "\t"], cookie: e.cookie)
            held.lock.withLock { held.items[0] = r?.status ?? 0 }
            answered.signal()
        }
        #expect(answered.wait(timeout: .now() + 1.5) == .timedOut, "the save waits for the lock")
        flock(folder, LOCK_UN)
        close(folder)
        #expect(answered.wait(timeout: .now() + 10) == .success && held.lock.withLock { held.items[0] } == 303)
        let afterWait = try String(contentsOf: file, encoding: .utf8)
        #expect(afterWait == saved + "\t")

        // Two more saves in the same second: each replaced version is kept under its own name.
        var expected = [shipped, saved, afterWait]
        for (i, s) in servers.enumerated() {
            let e = try Self.openEditor(s, "birthday")
            let text = try String(contentsOf: file, encoding: .utf8) + " "
            #expect(try s.post("/console/jobs/birthday/save", ["csrf": e.csrf, "base": e.base, "text": text], cookie: e.cookie).status == 303)
            if i == 0 { expected.append(text) }
        }
        let kept = try versions()
        #expect(kept.count == 4 && kept.values.sorted() == expected.sorted(), "\(kept.keys.sorted())")
        #expect(Set(kept.keys.map { $0.split(separator: "-")[0] }).count == 1, "all in one second: \(kept.keys.sorted())")
        // The editor lists them newest first, each restorable.
        let page = try servers[0].get("/console/jobs/birthday/edit?lang=en").body
        let listed = page.components(separatedBy: "name=\"version\" value=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(listed.count == 4 && listed.last.flatMap { kept[$0] } == shipped, "\(listed)")
        servers.forEach { $0.stop() }
    }

    @Test func aKeptVersionNeverReplacesAnotherAndOldNamesStillRead() throws {
        let folder = TestSupport.temporaryFolder("jobs")
        let files = JobFiles(folder: folder)
        let at = Date(timeIntervalSince1970: 1_764_550_800)
        let history = files.historyFolder("birthday")
        try FileManager.default.createDirectory(at: history, withIntermediateDirectories: true)
        // A version already there under the name the next one would take, and one of the old kind.
        try "older".write(to: history.appendingPathComponent("1764550800-1-lan.json"), atomically: true, encoding: .utf8)
        try "oldest".write(to: history.appendingPathComponent("1764550000-minh.json"), atomically: true, encoding: .utf8)
        try files.keep("newer", of: "birthday", user: "lan", at: at)
        #expect(files.version("birthday", file: "1764550800-1-lan.json") == "older")
        #expect(files.version("birthday", file: "1764550800-2-lan.json") == "newer")
        #expect(files.history("birthday").map(\.file) == ["1764550800-2-lan.json", "1764550800-1-lan.json", "1764550000-minh.json"])
        #expect(files.history("birthday").map(\.user) == ["lan", "lan", "minh"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: history.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
    }

    // MARK: 15. Half-sent requests: a header timeout, an idle timeout, a connection cap

    static func openFiles(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
    }

    /// Sockets the server has closed (end of stream or reset), of those given.
    static func closedByServer(_ fds: [Int32]) -> Int {
        var byte: UInt8 = 0
        return fds.filter { fd in
            let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
            return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }.count
    }

    @Test func theConnectionLimitsAreCheckedWithTheirDefaults() throws {
        let dir = try TestSupport.shopFolder()
        try TestSupport.editConfig(dir) { c in c["http"] = Self.http(8080) }
        let defaults = try #require(ConfigLoader.load(dir.appendingPathComponent("config.json")).config?.http?.limits)
        #expect(defaults.maxConnections == 256 && defaults.headerTimeout == .seconds(10) && defaults.idleTimeout == .seconds(60))
        try TestSupport.editConfig(dir) { c in c["http"] = Self.http(8080, ["maxConnections": 3, "headerTimeout": "0s", "idleTimeout": "2h"]) }
        let problems = ConfigLoader.load(dir.appendingPathComponent("config.json")).errors.map(\.description)
        #expect(problems.contains { $0.hasSuffix("config.json: http.maxConnections: must be between 8 and 65536, found 3") }, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("config.json: http.headerTimeout: must be between 1s and 5m, found 0m") }, "\(problems)")
        #expect(problems.contains { $0.hasSuffix("config.json: http.idleTimeout: must be between 1s and 1h, found 2h") }, "\(problems)")
    }

    @Test func halfSentRequestsAreCutOffAtTheCapAndAfterTheHeaderTimeoutWhileHealthzAnswers() throws {
        let port = closedPort()
        let dir = try Self.shop { c in c["http"] = Self.http(port, ["maxConnections": 32, "headerTimeout": "2s", "idleTimeout": "4s"]) }
        let s = try Server(["run"], in: dir, port: port, environment: ["API_TOKEN": "t0k3n"])
        let before = Self.openFiles(s.process.processIdentifier)
        // 300 slow clients: each sends half a request head and stops.
        var loris: [Int32] = []
        defer { loris.forEach { close($0) } }
        var most = before
        let opening = Date()
        for _ in 0..<300 where Date().timeIntervalSince(opening) < 20 {
            guard let fd = try? RawHTTP.connect(port: port, timeout: 2) else { continue }
            try? RawHTTP.write(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Slow: ")
            loris.append(fd)
            most = max(most, Self.openFiles(s.process.processIdentifier))
        }
        #expect(loris.count >= 250, "the slow clients got in: \(loris.count)")
        let health = try RawHTTP.send(port: port, "GET", "/healthz", timeout: 10)
        print("healthz behind \(loris.count) half-sent requests: \(health.status) in \(String(format: "%.3f", health.seconds)) s; service descriptors \(before) → at most \(most)")
        #expect(health.status == 200, "/healthz answers through the flood")
        #expect(most <= before + 32 + 16, "the server held about its cap of connections, not one per client: \(before) → \(most)")
        // Past the header timeout, every half-sent request has been cut off.
        let waiting = Date()
        while Self.closedByServer(loris) < loris.count, Date().timeIntervalSince(waiting) < 15 { usleep(200_000) }
        print("all \(loris.count) half-sent requests closed by the server \(String(format: "%.1f", Date().timeIntervalSince(waiting))) s after the flood")
        #expect(Self.closedByServer(loris) == loris.count, "every slow client is closed")
        #expect(s.logText.contains("HTTP connections at the cap (") && s.logText.contains("http.maxConnections 32"), "\(s.logText.suffix(2000))")
        #expect(s.logText.components(separatedBy: "HTTP connections at the cap").count == 2, "one line a minute, not one a connection")
        s.stop()

        // `carecron console` is served by the same code: a half-sent request is cut off there too.
        let consolePort = closedPort()
        let console = try Server(["console", "--listen", "127.0.0.1:\(consolePort)"], in: dir, port: consolePort)
        let slow = try RawHTTP.connect(port: consolePort, timeout: 2)
        defer { close(slow) }
        try RawHTTP.write(slow, "GET /console/plan HTTP/1.1\r\nHost: 127.0.0.1:\(consolePort)\r\n")
        let started = Date()
        while Self.closedByServer([slow]) == 0, Date().timeIntervalSince(started) < 10 { usleep(100_000) }
        let after = Date().timeIntervalSince(started)
        #expect(Self.closedByServer([slow]) == 1 && after >= 1.5 && after < 6, "closed after the 2 s header timeout: \(after) s")
        // A whole head and then a body that stops: the idle timeout (4 s) closes it.
        let trickle = try RawHTTP.connect(port: consolePort, timeout: 2)
        defer { close(trickle) }
        try RawHTTP.write(trickle, "POST /console/login HTTP/1.1\r\nHost: 127.0.0.1:\(consolePort)\r\nOrigin: http://127.0.0.1:\(consolePort)\r\n"
            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nuser=lan&pass")
        let sent = Date()
        while Self.closedByServer([trickle]) == 0, Date().timeIntervalSince(sent) < 12 { usleep(100_000) }
        let idle = Date().timeIntervalSince(sent)
        #expect(Self.closedByServer([trickle]) == 1 && idle >= 3 && idle < 9, "closed after the 4 s idle timeout: \(idle) s")
        console.stop()
    }
}

/// What threads hand back, under a lock.
final class Collected<T>: @unchecked Sendable {
    let lock = NSLock()
    var items: [Int: T] = [:]
}
