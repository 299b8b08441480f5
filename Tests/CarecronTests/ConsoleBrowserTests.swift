import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation
import HummingbirdBcrypt
import Testing

/// The console end to end in a real browser (Debian's chromium through chromedriver and
/// selenium, no download: SE_OFFLINE), against a real `carecron run` serving the API and the
/// console, on the basic scenario's shop. The steps are in Tests/browser/*.py; the screenshots
/// of the pages land in .build/console-screenshots (README: docs/screenshots).
@Suite("Console in a real browser")
struct ConsoleBrowserTests {
    /// A shop with the basic scenario's customers and orders, an eSMS-like gateway on
    /// 127.0.0.1, two console users, and `carecron run` on its own clock.
    struct BrowserShop {
        let gateway: TestServer
        let folder: URL
        let port: Int
        let log: URL
        var service: Process?

        init(gatewayArguments: [String] = ["--esms"]) throws {
            gateway = try TestServer("http_server.py", gatewayArguments)
            folder = try TestSupport.shopFolder()
            port = closedPort()
            log = folder.appendingPathComponent("service.log")
            for kind in ["customers", "orders"] {
                let r = try TestSupport.carecron(["import", kind, TestSupport.basicScenario.appendingPathComponent("\(kind).csv").path], in: folder)
                #expect(r.status == 0, "\(r.stderr)")
            }
            try "k3y\n".write(to: folder.appendingPathComponent("esms.key"), atomically: true, encoding: .utf8)
            let url = folder.appendingPathComponent("config.json")
            var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            c["senders"] = ["esms": ["type": "sms-http", "url": "\(gateway.url)/send", "successPath": "CodeResult", "successValue": "100", "idPath": "SMSID",
                                     "apiKey": ["file": "esms.key"],
                                     "body": "{\"ApiKey\": {{{json.secrets.apiKey}}}, \"Phone\": {{{json.phoneLocal}}}, \"Content\": {{{json.text}}}}"],
                            "file": ["type": "file", "path": "var/sent.jsonl"]]
            c["channels"] = ["sms": "esms", "email": "file", "zalo": "file"]
            c["prices"] = ["sms": 750, "email": 0]
            c["http"] = ["listen": "127.0.0.1:\(port)", "token": ["env": "API_TOKEN"]]
            c["console"] = ["users": ["lan": ["role": "editor", "passwordHash": Bcrypt.hash("lan-mat-khau-1", cost: 6)],
                                      "minh": ["role": "viewer", "passwordHash": ["env": "MINH_HASH"]]],
                            "testRecipients": ["0912 000 999"]]
            try JSONSerialization.data(withJSONObject: c, options: [.prettyPrinted]).write(to: url)
        }

        /// `carecron run` from `clockStart`, at real pace, until the console answers.
        mutating func start(clockStart: String) throws {
            let service = try TestSupport.start(["run", "--clock-start", clockStart], in: folder, environment: [
                "API_TOKEN": "t0k3n", "MINH_HASH": Bcrypt.hash("minh-mat-khau-2", cost: 6)], log: log)
            self.service = service
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline, !serviceLog.contains("console served") { usleep(100_000) }
            usleep(300_000)
        }

        /// eSMS forwards the short code's replies here, signed with the MO key (issue 27).
        func takeShortCodeReplies() throws {
            try "m0-k3y\n".write(to: folder.appendingPathComponent("esms-mo.key"), atomically: true, encoding: .utf8)
            try TestSupport.editConfig(folder) { c in
                var senders = c["senders"] as! [String: Any], esms = senders["esms"] as! [String: Any]
                esms["cpid"] = "CP01"
                esms["moPrivateKey"] = ["file": "esms-mo.key"]
                senders["esms"] = esms
                c["senders"] = senders
            }
        }

        /// A care agent (issue 29), whose password is `LOGIN-mat-khau-3` (Mai's is the scripts' MAI_PASSWORD).
        func addAgent(_ login: String, _ name: String) throws {
            try TestSupport.editConfig(folder) { c in
                var console = c["console"] as! [String: Any], users = console["users"] as! [String: Any]
                users[login] = ["role": "agent", "passwordHash": Bcrypt.hash("\(login)-mat-khau-3", cost: 6), "displayName": name]
                console["users"] = users
                c["console"] = console
            }
        }

        var serviceLog: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// Runs a browser script; its failed checks fail the test.
        func browse(_ script: String, extra: [String] = []) throws {
            let shots = TestSupport.packageRoot.appendingPathComponent(".build/console-screenshots")
            let browser = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"),
                                              ["python3", TestSupport.packageRoot.appendingPathComponent("Tests/browser/\(script)").path,
                                               "http://127.0.0.1:\(port)", shots.path] + extra,
                                              in: folder, environment: ["LAN_PASSWORD": "lan-mat-khau-1", "MINH_PASSWORD": "minh-mat-khau-2",
                                                                        "MAI_PASSWORD": "mai-mat-khau-3", "SE_OFFLINE": "true"])
            #expect(browser.status == 0, "browser steps:\n\(browser.stdout)\n\(browser.stderr.suffix(3000))\nservice log:\n\(serviceLog.suffix(3000))")
            #expect(!browser.stdout.contains("FAIL"))
        }

        func stop() {
            guard let service else { return }
            kill(service.processIdentifier, SIGKILL)
            service.waitUntilExit()
        }

        static var browserMissing: Bool {
            for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
                Issue.record("\(tool) is missing: apt-get install chromium chromium-driver (.ci/run does)")
                return true
            }
            return false
        }
    }

    static var shots: URL { TestSupport.packageRoot.appendingPathComponent(".build/console-screenshots") }

    @Test func aMarketerPlansEditsSavesAndTestsInChromium() throws {
        guard !BrowserShop.browserMissing else { return }
        var shop = try BrowserShop()
        let original = try String(contentsOf: shop.folder.appendingPathComponent("jobs/payment-reminder.json"), encoding: .utf8)
        // The scenario's day, at real pace: the plan of 2026-12-01 is still ahead of the service.
        try shop.start(clockStart: "2026-12-01T08:00:00+07:00")
        defer { shop.stop() }
        try shop.browse("console_e2e.py")

        // What the browser did, seen from outside: the file on disk, its history, the reload, the gateway.
        let folder = shop.folder
        let saved = try String(contentsOf: folder.appendingPathComponent("jobs/payment-reminder.json"), encoding: .utf8)
        #expect(saved != original && saved.contains("{{customer.salutation}} oi, don hang {{#orders}}"))
        let history = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("jobs/.history/payment-reminder").path)
        #expect(history.count == 1 && history[0].hasSuffix("-lan.json"))
        #expect(try String(contentsOf: folder.appendingPathComponent("jobs/.history/payment-reminder/\(history[0])"), encoding: .utf8) == original)
        #expect(shop.serviceLog.contains("configuration reloaded"), "the running service took the saved file")
        let sent = try shop.gateway.requests().compactMap { $0["body"] as? String }
        #expect(sent.contains { $0.contains("\"Phone\": \"0912000999\"") && $0.contains("Chi Lan oi, don hang D01") }, "\(sent)")
        for page in ["plan", "customer", "message", "editor-error", "editor-diff", "test-send", "jobs", "audit"] {
            #expect(FileManager.default.fileExists(atPath: Self.shots.appendingPathComponent("\(page).png").path), "screenshot \(page)")
        }
    }

    /// A week after the scenario's day: find customers by phone and by a name without accents,
    /// retry a message that gave up and drop another (after the question), see that a number
    /// the gateway refused has no retry, ask why C004's birthday last week was not sent, pause
    /// the Tết campaign and see the jobs page and the plan change; every page in Vietnamese,
    /// without one English sentence of the catalogue.
    @Test func aMarketerFindsRetriesDropsPausesAndAsksWhyInChromium() throws {
        guard !BrowserShop.browserMissing else { return }
        var shop = try BrowserShop()
        // The Tết greeting switched on, as a marketer does in the weeks before Tết.
        let tet = shop.folder.appendingPathComponent("jobs/tet-greeting.json")
        try String(contentsOf: tet, encoding: .utf8).replacingOccurrences(of: "\"enabled\": false", with: "\"enabled\": true")
            .write(to: tet, atomically: true, encoding: .utf8)
        // The outbox as a week of sending left it: a birthday sent, a reminder that gave up on a
        // gateway that was down, one the gateway refused for its number, one waiting for a retry.
        let store = try Store(url: shop.folder.appendingPathComponent("var/carecron.sqlite"))
        // The two Gold customers paid their orders: the Tết greeting's audience (Gold, a purchase within the year).
        for (order, customer) in [("D02", "C002"), ("D06", "C006")] {
            _ = try store.upsert(.orders, ["id": order, "customer_id": customer, "placed_at": "2026-12-01T11:25:00+07:00", "amount": "1250000",
                                           "status": "paid", "paid_at": "2026-12-01T12:00:00+07:00"],
                                 clock: TestSupport.saigon, holdFor: .hours(24), now: Date())
        }
        // An order of this morning, still unpaid: its two reminders are in the week the form's diff shows.
        _ = try store.upsert(.orders, ["id": "D20", "customer_id": "C001", "placed_at": "2026-12-08T08:30:00+07:00", "amount": "250000"],
                             clock: TestSupport.saigon, holdFor: .hours(24), now: Date())
        let outbox = Outbox(store: store)
        let day = TestSupport.instant("2026-12-01T09:00:00+07:00")
        func add(_ key: String, _ job: String, _ customer: String, _ phone: String, orders: [String] = []) throws -> Int64 {
            let r = [Rendering(channel: "sms", to: phone, subject: nil, text: "\(job) \(customer)", params: [:], templateId: nil)]
            _ = try outbox.enqueue(keys: [key], job: job, customerId: customer, orderIds: orders, reminder: nil, renderings: r, dueAt: day, now: day)
            return try #require(try outbox.claimDue(now: day, limit: 1).first?.id)
        }
        try outbox.markSent(try add("birthday:C001:2026", "birthday", "C001", "+84912345678"), providerId: "esms-1", at: day)
        try outbox.markDead(try add("win-back:C005:2026-12-01", "win-back", "C005", "+84905123456"), error: "gave up after 6 attempts: HTTP 503", now: day)
        try outbox.markDead(try add("win-back:C007:2026-12-01", "win-back", "C007", "+84977888999"),
                            error: #"gateway answered CodeResult=99: {"CodeResult": "99", "ErrorMessage": "Phone not valid"}"#, now: day)
        try outbox.markRetry(try add("win-back:C008:2026-12-01", "win-back", "C008", "+84356777666"), error: "HTTP 503",
                             at: day.addingTimeInterval(30 * 86_400), now: day)
        // What the script checks every Vietnamese page against: the English side of the catalogue.
        let english = Catalogue.all.map(\.entry.en)
        let catalogue = shop.folder.appendingPathComponent("english.json")
        try JSONSerialization.data(withJSONObject: english).write(to: catalogue)
        try shop.start(clockStart: "2026-12-08T10:00:00+07:00")
        defer { shop.stop() }
        try shop.browse("console_tasks_e2e.py", extra: [catalogue.path])

        // Seen from outside: the retried message went out through the gateway, the dropped one is
        // cancelled, and the audit log and the campaign's run have the pause.
        #expect(try outbox.message(2)?.state == .sent, "the retried message was sent")
        #expect(try outbox.message(4)?.state == .cancelled, "the dropped one will never go")
        #expect(try store.recent(limit: 50).contains { $0.action == "campaign pause" && $0.user == "lan" })
        let reminder = try String(contentsOf: shop.folder.appendingPathComponent("jobs/payment-reminder.json"), encoding: .utf8)
        #expect(!reminder.contains("\r") && reminder.contains("shop van dang giu hang don"), "the form's save, with LF")
        #expect(try String(contentsOf: shop.folder.appendingPathComponent("jobs/tet-vang.json"), encoding: .utf8).contains("\"enabled\": true"))
        #expect(try store.recent(limit: 50).contains { $0.action == "campaign create" && $0.subject == "jobs/tet-vang.json" })
        for page in ["campaign-new", "form", "form-diff", "form-error", "form-ucs2", "history", "search-phone", "search-name", "outbox", "outbox-drop", "outbox-after", "customer-past", "campaigns", "campaign-pause",
                     "campaign-paused-plan", "jobs-paused", "plan-phone", "outbox-phone"] {
            #expect(FileManager.default.fileExists(atPath: Self.shots.appendingPathComponent("\(page).png").path), "screenshot \(page)")
        }
    }

    /// Issue 27: C001 answers a message by SMS and then sends "TC QC" to the short code; eSMS
    /// forwards both to the running service; a marketer sees them in the replies list and on
    /// her page (at a desktop's size and at a phone's), her opt-out of advertising in the profile.
    @Test func aReplyAndAnOptOutShowOnTheCustomersPageInChromium() throws {
        guard !BrowserShop.browserMissing else { return }
        var shop = try BrowserShop()
        try shop.takeShortCodeReplies()
        try shop.start(clockStart: "2026-12-08T10:00:00+07:00")
        defer { shop.stop() }
        for (smsid, content, time) in [("mo-1", "Dạ shop giao giúp em buổi chiều nhé", "20261208100100"), ("mo-2", "TC QC", "20261208100500")] {
            let answer = try ESMSInbound.send(port: shop.port, content: content, smsid: smsid, time: time, key: "m0-k3y")
            #expect(answer.hasPrefix("<ClientResponse>"), "\(answer)")
        }
        try shop.browse("console_replies_e2e.py")
        for page in ["replies", "customer-replies", "customer-replies-phone"] {
            #expect(FileManager.default.fileExists(atPath: Self.shots.appendingPathComponent("\(page).png").path), "screenshot \(page)")
        }
    }

    /// Issue 29: the COD confirmation calls for orders from 1.000.000₫; the running service hands
    /// D30 to Mai (the order names her) and D31 to Hùng (fewer calls); Mai works hers on a
    /// phone, Lan marks Hùng away and his call goes to Mai; the outbox and the audit say so.
    @Test func anAgentWorksHerCallsOnAPhoneInChromium() async throws {
        guard !BrowserShop.browserMissing else { return }
        var shop = try BrowserShop()
        try shop.addAgent("mai", "Nguyễn Thị Mai")
        try shop.addAgent("hung", "Trần Văn Hùng")
        let cod = shop.folder.appendingPathComponent("jobs/cod-confirmation.json")
        var job = try JSONSerialization.jsonObject(with: Data(contentsOf: cod)) as! [String: Any]
        job["channels"] = ["call", "sms", "email"]
        job["call"] = ["minAmount": 1_000_000, "priority": 1, "askRating": true]
        var templates = job["templates"] as! [[String: Any]]
        templates[0]["call"] = "Dạ em chào {{customer.salutation}}, em gọi từ {{shop.name}} xác nhận đơn {{order.id}}: {{order.items}}, thanh toán {{order.amount}} khi nhận hàng."
        job["templates"] = templates
        try JSONSerialization.data(withJSONObject: job, options: [.prettyPrinted]).write(to: cod)
        let store = try Store(url: shop.folder.appendingPathComponent("var/carecron.sqlite"))
        for (order, customer, amount, placed, agent) in [("D30", "C001", "2450000", "09:30", "Mai"), ("D31", "C003", "1850000", "09:40", ""),
                                                         ("D32", "C004", "300000", "09:35", "")] {
            _ = try store.upsert(.orders, ["id": order, "customer_id": customer, "placed_at": "2026-12-08T\(placed):00+07:00", "amount": amount,
                                           "payment_method": "cod", "items": "Kem chống nắng x2", "agent": agent],
                                 clock: TestSupport.saigon, holdFor: .hours(24), now: Date())
        }
        try shop.start(clockStart: "2026-12-08T10:00:00+07:00")
        defer { shop.stop() }
        let deadline = Date().addingTimeInterval(20)
        let tuesday = CallQuery(agent: nil, day: LocalDate(year: 2026, month: 12, day: 8), clock: TestSupport.saigon)
        while Date() < deadline, try await store.calls(tuesday).count < 2 {
            usleep(200_000)
        }
        try shop.browse("console_calls_e2e.py")

        func message(_ customer: String, _ order: String) async throws -> OutboxMessage? {
            try await store.outbox.messages(customerId: customer, limit: 50).first { $0.orderIds == [order] }
        }
        let d30 = try #require(try await message("C001", "D30"))
        #expect(d30.rendering.channel == "call" && d30.delivery == .delivered, "reached: the call's message is delivered")
        let d32 = try #require(try await message("C004", "D32"))
        #expect(d32.rendering.channel == "sms", "a small order gets the SMS")
        let call = try #require(try await store.calls(tuesday).first { $0.orderIds == ["D30"] })
        #expect(call.tries == 1 && call.result == .reached && call.rating == 5 && call.note == "Chị Lan xác nhận, giao sau 17h" && call.doneBy == "mai")
        let audit = try store.recent(limit: 20).map { "\($0.user) \($0.action)" }
        #expect(audit.contains("mai call no_answer") && audit.contains("mai call reached") && audit.contains("lan agent away"), "\(audit)")
        for page in ["calls-phone", "calls-phone-done", "calls-desktop"] {
            #expect(FileManager.default.fileExists(atPath: Self.shots.appendingPathComponent("\(page).png").path), "screenshot \(page)")
        }
    }

    /// Issue 29: C001 asks by SMS; Mai (the only agent) answers on her phone and resolves it;
    /// the answer goes through the gateway and the response time counts.
    @Test func anAgentAnswersAReplyOnAPhoneInChromium() async throws {
        guard !BrowserShop.browserMissing else { return }
        var shop = try BrowserShop()
        try shop.takeShortCodeReplies()
        try shop.addAgent("mai", "Nguyễn Thị Mai")
        try shop.start(clockStart: "2026-12-08T10:00:00+07:00")
        defer { shop.stop() }
        try ESMSInbound.send(port: shop.port, content: "Dạ shop giao giúp em buổi chiều nhé", smsid: "mo-9", time: "20261208100100", key: "m0-k3y")
        try shop.browse("console_conversation_e2e.py")

        let deadline = Date().addingTimeInterval(15)
        var sent: [String] = []
        while Date() < deadline {
            sent = try shop.gateway.requests().compactMap { $0["body"] as? String }
            if sent.contains(where: { $0.contains("Da shop giao sau 14h chi nhe") }) { break }
            usleep(200_000)
        }
        // The gateway's sender writes SMS without accents, as brand-name gateways want.
        #expect(sent.contains { $0.contains("Da shop giao sau 14h chi nhe") && $0.contains("0912345678") }, "the answer went through the gateway: \(sent)")
        let store = try Store(url: shop.folder.appendingPathComponent("var/carecron.sqlite"))
        let facts = try await store.conversationFacts(openedFrom: TestSupport.instant("2026-12-08T00:00:00+07:00"), to: TestSupport.instant("2026-12-09T00:00:00+07:00"))
        #expect(facts.count == 1 && facts[0].firstResponseAt != nil && facts[0].resolvedAtFirstContact)
        for page in ["conversations-phone", "conversation-phone"] {
            #expect(FileManager.default.fileExists(atPath: Self.shots.appendingPathComponent("\(page).png").path), "screenshot \(page)")
        }
    }
}
