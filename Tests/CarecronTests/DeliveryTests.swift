import CarecronConfig
@testable import CarecronDelivery
import CarecronDomain
@_spi(Testing) import CarecronSQLite
import CarecronStorage
import Foundation
import GRDB
import Logging
import Testing

/// A clock the test moves by hand: retries become due without anyone sleeping.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Date
    init(_ start: Date = Date()) { t = start }
    var now: Date { lock.withLock { t } }
    func advance(_ s: TimeInterval) { lock.withLock { t = t.addingTimeInterval(s) } }
}

/// A shop with the given senders, its store holding the demo customers and orders.
struct DeliveryShop {
    let folder: URL
    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: Store
    let clock = TestClock()

    init(senders: [String: Any], channels: [String: String], delivery: [String: Any] = ["retryBase": "1s", "retryMax": "10s"]) throws {
        folder = try TestSupport.shopFolder()
        let url = folder.appendingPathComponent("config.json")
        var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        // Every channel the shipped jobs name needs a sender, or the jobs do not load.
        c["senders"] = senders.merging(["console": ["type": "console"]]) { a, _ in a }
        c["channels"] = channels.merging(["sms": "console", "email": "console", "zalo": "console"]) { a, _ in a }
        c["delivery"] = delivery
        try JSONSerialization.data(withJSONObject: c).write(to: url)
        // Jobs list sms and email; the Zalo tests add zalo first.
        let loaded = ConfigLoader.load(url)
        guard let config = loaded.config, loaded.isValid, loaded.jobs.count == 13 else {
            throw TestServer.ServerError(message: "\(loaded.diagnostics)")
        }
        self.config = config
        jobs = loaded.jobs
        store = try Store(url: config.database)
        let importer = Importer(store: store, clock: config.clock)
        _ = try importer.run(.customers, file: TestSupport.basicScenario.appendingPathComponent("customers.csv"))
        _ = try importer.run(.orders, file: TestSupport.basicScenario.appendingPathComponent("orders.csv"))
    }

    var outbox: Outbox { Outbox(store: store) }

    func dispatcher(environment: [String: String] = [:]) -> Dispatcher {
        let (senders, problems) = SenderFactory.build(config, environment: environment)
        precondition(problems.isEmpty, "\(problems)")
        let clock = self.clock
        return Dispatcher(store: store, senders: senders, channels: config.channels, jobs: jobs,
                          retry: config.retryPolicy, now: { clock.now }, log: Logger(label: "test"))
    }

    /// Puts a reminder for order D01 (customer C001) in the outbox, due now.
    @discardableResult
    func enqueueReminder(_ key: String = "payment-reminder:D01:1", order: String = "D01", customer: String = "C001",
                         renderings: [Rendering]? = nil) throws -> Bool {
        try outbox.enqueue(keys: [key], job: "payment-reminder", customerId: customer, orderIds: [order], reminder: 1,
                           renderings: renderings ?? [Rendering(channel: "sms", to: "+84912345678", subject: nil,
                                                                text: "Chi Lan oi, don D01 dang cho thanh toan", params: [:], templateId: nil)],
                           dueAt: clock.now, now: clock.now)
    }

    func state(_ key: String = "payment-reminder:D01:1") throws -> (OutboxState, Int, String?) {
        let m = try outbox.list(state: nil).first { $0.key == key }!
        return (m.state, m.attempts, m.lastError)
    }
}

@Suite("Delivery through real servers on 127.0.0.1", .serialized)
struct DeliveryTests {
    @Test func webhookIsSignedCarriesTheIdempotencyKeyAndIsSentOnce() async throws {
        let server = try TestServer("http_server.py", ["--secret", "s3cret"])
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "\(server.url)/hook", "secret": ["env": "HOOK_SECRET"],
                                                       "headers": ["X-Shop": "hoasen"]]],
                                    channels: ["sms": "hook"])
        try shop.enqueueReminder()
        let report = try await shop.dispatcher(environment: ["HOOK_SECRET": "s3cret"]).drain()
        #expect(report.sent == 1)
        let requests = try server.requests()
        #expect(requests.count == 1)
        let headers = requests[0]["headers"] as! [String: String]
        #expect(requests[0]["sig_ok"] as? Bool == true, "HMAC-SHA256 of the body with the shared secret")
        #expect(headers["Idempotency-Key"] == "payment-reminder:D01:1")
        #expect(headers["X-Shop"] == "hoasen")
        let body = try JSONSerialization.jsonObject(with: Data((requests[0]["body"] as! String).utf8)) as! [String: Any]
        #expect(body["text"] as? String == "Chi Lan oi, don D01 dang cho thanh toan" && body["to"] as? String == "+84912345678")
        #expect(try shop.state().0 == .sent)
        #expect(try await shop.dispatcher(environment: ["HOOK_SECRET": "s3cret"]).drain().total == 0, "nothing sent twice")
    }

    @Test func transientFailuresAreRetriedWithBackoffHonouringRetryAfter() async throws {
        let server = try TestServer("http_server.py", ["--script", "500,429", "--retry-after", "120"])
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "\(server.url)/hook"]], channels: ["sms": "hook"])
        try shop.enqueueReminder()
        let d = shop.dispatcher()
        #expect(try await d.drain().retried == 1)
        #expect(try shop.state().0 == .failed)
        shop.clock.advance(3)  // backoff of ~1 s with jitter, in whole seconds
        #expect(try await d.drain().retried == 1, "the 429")
        let next = try shop.outbox.list(state: .failed)[0].nextAttemptAt
        #expect(next.timeIntervalSince(shop.clock.now) >= 119, "Retry-After: 120 is honoured")
        shop.clock.advance(60)
        #expect(try await d.drain().total == 0, "not before Retry-After")
        shop.clock.advance(61)
        #expect(try await d.drain().sent == 1)
        let keys = try server.requests().map { ($0["headers"] as! [String: String])["Idempotency-Key"] }
        #expect(keys == Array(repeating: "payment-reminder:D01:1", count: 3), "every attempt carries the same key")
        #expect(try shop.state().1 == 3)
    }

    @Test func refusedConnectionIsRetriedThenDeadAfterMaxAttempts() async throws {
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "http://127.0.0.1:\(closedPort())/x", "maxAttempts": 2]],
                                    channels: ["sms": "hook"])
        try shop.enqueueReminder()
        let d = shop.dispatcher()
        #expect(try await d.drain().retried == 1)
        shop.clock.advance(5)
        #expect(try await d.drain().dead == 1)
        let (state, attempts, error) = try shop.state()
        #expect(state == .dead && attempts == 2 && error?.contains("gave up after 2 attempts") == true)
    }

    @Test func slowProviderIsAnUnknownOutcomeRetriedWithTheSameKey() async throws {
        // Far beyond the 1 s timeout: under the full suite, blocking tests can hold the cooperative
        // threads for seconds, and a 10 s answer once arrived before the timeout was acted on.
        let server = try TestServer("http_server.py", ["--script", "slow", "--slow", "40"])
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "\(server.url)/hook", "timeout": 1]], channels: ["sms": "hook"])
        try shop.enqueueReminder()
        let d = shop.dispatcher()
        #expect(try await d.drain().retried == 1)
        let firstError = try shop.state().2
        #expect(firstError?.contains("outcome unknown") == true, "\(firstError ?? "nil")")
        shop.clock.advance(5)
        #expect(try await d.drain().sent == 1)
    }

    @Test func zaloFollowsItsAPIAndFallsBackToSMS() async throws {
        let zalo = try TestServer("http_server.py", ["--zalo"])
        let sms = try TestServer("http_server.py", ["--esms"])
        let shop = try DeliveryShop(
            senders: [
                "zns": ["type": "zalo-zns", "baseURL": zalo.url, "accessToken": ["env": "ZALO_TOKEN"]],
                "esms": ["type": "sms-http", "url": "\(sms.url)/send", "successPath": "CodeResult", "successValue": "100", "idPath": "SMSID",
                         "brandname": "HOASEN", "apiKey": ["env": "ESMS_KEY"],
                         "body": "{\"ApiKey\": {{{json.secrets.apiKey}}}, \"Phone\": {{{json.phoneLocal}}}, \"Content\": {{{json.text}}}, \"Brandname\": {{{json.brandname}}}, \"SmsType\": \"2\", \"RequestId\": {{{json.idempotencyKey}}}}"],
            ],
            channels: ["zalo": "zns", "sms": "esms"])
        let env = ["ZALO_TOKEN": "tok", "ESMS_KEY": "k3y"]
        func renderings(_ phone: String) -> [Rendering] {
            [Rendering(channel: "zalo", to: phone, subject: nil, text: "Chị Lan ơi", params: ["customer_name": "Chị Lan", "order_code": "D01"], templateId: "231456"),
             Rendering(channel: "sms", to: phone, subject: nil, text: "Chị Lan ơi, đơn D01 đang chờ thanh toán", params: [:], templateId: nil)]
        }
        try shop.enqueueReminder("ok", renderings: renderings("+84912345678"))
        try shop.enqueueReminder("noZalo", renderings: renderings("+84912345118"))
        try shop.enqueueReminder("badPhone", renderings: renderings("+84912345108"))
        let d = shop.dispatcher(environment: env)
        let first = try await d.drain()
        #expect(first.sent == 3 && first.fellBack == 2, "\(first)")
        let z = try zalo.requests()
        let okBody = try JSONSerialization.jsonObject(with: Data((z.first { ($0["body"] as! String).contains("912345678\"") }!["body"] as! String).utf8)) as! [String: Any]
        #expect(okBody["phone"] as? String == "84912345678", "84…, no plus")
        #expect(okBody["template_id"] as? String == "231456" && okBody["tracking_id"] as? String == "ok")
        #expect((okBody["template_data"] as? [String: String]) == ["customer_name": "Chị Lan", "order_code": "D01"])
        #expect(z.allSatisfy { ($0["headers"] as! [String: String])["access_token"] == "tok" })
        let s = try sms.requests()
        #expect(s.count == 2)
        let smsBody = try JSONSerialization.jsonObject(with: Data((s[0]["body"] as! String).utf8)) as! [String: Any]
        #expect(smsBody["ApiKey"] as? String == "k3y" && smsBody["Brandname"] as? String == "HOASEN")
        #expect(smsBody["Content"] as? String == "Chi Lan oi, don D01 dang cho thanh toan", "unaccented, đ → d")
        #expect((smsBody["Phone"] as? String)?.hasPrefix("0912345") == true)
        let sent = try shop.outbox.list(state: .sent)
        #expect(Set(sent.compactMap(\.providerMessageId)).count == 3)
    }

    @Test func zaloInvalidTokenStopsTheSenderAndUnapprovedTemplateIsAConfigurationError() async throws {
        let zalo = try TestServer("http_server.py", ["--zalo"])
        let shop = try DeliveryShop(senders: ["zns": ["type": "zalo-zns", "baseURL": zalo.url, "accessToken": ["env": "T"]]],
                                    channels: ["zalo": "zns"])
        func r(_ phone: String) -> [Rendering] { [Rendering(channel: "zalo", to: phone, subject: nil, text: "x", params: [:], templateId: "1")] }
        try shop.enqueueReminder("template", renderings: r("+84912345131"))
        let d = shop.dispatcher(environment: ["T": "x"])
        #expect(try await d.drain().dead == 1)
        #expect(try shop.state("template").2?.contains("not approved (-131)") == true)
        try shop.enqueueReminder("token", renderings: r("+84912345124"))
        _ = try await d.drain()
        try shop.enqueueReminder("after", order: "D02", customer: "C002", renderings: r("+84903111222"))
        _ = try await d.drain()
        #expect(try shop.state("token").0 == .failed && shop.state("after").0 == .failed, "both wait for the token to be fixed")
        #expect(try zalo.requests().count == 2, "after -124 the sender stops calling Zalo")
    }

    @Test func concurrencyAndRateLimitsAreRespected() async throws {
        let server = try TestServer("http_server.py", ["--delay", "0.2"])
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "\(server.url)/hook", "concurrency": 4, "ratePerSecond": 20]],
                                    channels: ["sms": "hook"])
        for i in 0..<40 { try shop.enqueueReminder("k\(i)") }
        let report = try await shop.dispatcher().drain()
        #expect(report.sent == 40)
        let requests = try server.requests()
        let maxInflight = requests.map { $0["inflight"] as! Int }.max()!
        #expect(maxInflight <= 4 && maxInflight >= 2, "several in flight, never more than 4 (saw \(maxInflight))")
        let arrivals = requests.map { $0["arrived"] as! Double }.sorted()
        // 40 messages at 20/s, 4 at a time for 0.2 s each: at least ~1.95 s from first to last.
        #expect(arrivals.last! - arrivals.first! >= 1.9)
    }

    @Test func messageNoLongerValidAtSendingIsCancelledWithTheReason() async throws {
        let server = try TestServer("http_server.py")
        let shop = try DeliveryShop(senders: ["hook": ["type": "webhook", "url": "\(server.url)/hook"]], channels: ["sms": "hook"])
        try shop.enqueueReminder()
        try shop.enqueueReminder("payment-reminder:D04:1", order: "D04", customer: "C004")
        try await shop.store.db.write { db in
            try db.execute(sql: "UPDATE orders SET paid_at = ?, status = 'paid' WHERE id = 'D01'", arguments: [Int(shop.clock.now.timeIntervalSince1970) - 60])
            try db.execute(sql: "UPDATE customers SET opt_out = 'all' WHERE id = 'C004'")
        }
        let report = try await shop.dispatcher().drain()
        let received = try server.requests()
        let states = try shop.outbox.list(state: nil).map { "\($0.key) \($0.state) \($0.lastError ?? "")" }
        #expect(report.cancelled == 2 && received.isEmpty, "\(report) \(states)")
        #expect(try shop.state().2 == "order D01 was paid")
        #expect(try shop.state("payment-reminder:D04:1").2 == "customer opted out of all messages")
    }

    @Test func execPluginReceivesTheMessageAsJSON() async throws {
        let dir = TestSupport.temporaryFolder()
        let script = dir.appendingPathComponent("plugin.sh")
        try "#!/bin/sh\ncat > \(dir.path)/got.json\necho provider-42\n".write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let shop = try DeliveryShop(senders: ["plug": ["type": "exec", "command": script.path]], channels: ["sms": "plug"])
        try shop.enqueueReminder()
        #expect(try await shop.dispatcher().drain().sent == 1)
        let got = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("got.json"))) as! [String: Any]
        #expect(got["idempotencyKey"] as? String == "payment-reminder:D01:1" && got["to"] as? String == "+84912345678")
        #expect(try shop.outbox.list(state: .sent)[0].providerMessageId == "provider-42")
    }

    @Test func fileSenderWritesOneJSONLinePerMessage() async throws {
        let shop = try DeliveryShop(senders: ["audit": ["type": "file", "path": "var/sent.jsonl"]], channels: ["sms": "audit"])
        try shop.enqueueReminder()
        try shop.enqueueReminder("payment-reminder:D02:1", order: "D02", customer: "C002")
        #expect(try await shop.dispatcher().drain().sent == 2)
        let lines = try String(contentsOf: shop.folder.appendingPathComponent("var/sent.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("\"idempotencyKey\"") })
    }

    @Test func anOccurrenceIsNeverPlannedTwice() throws {
        let shop = try DeliveryShop(senders: ["console": ["type": "console"]], channels: ["sms": "console"])
        #expect(try shop.enqueueReminder())
        #expect(try !shop.enqueueReminder(), "same key")
        #expect(try !shop.outbox.enqueue(keys: ["other", "payment-reminder:D01:1"], job: "payment-reminder", customerId: "C001",
                                         orderIds: ["D01", "D02"], reminder: 1,
                                         renderings: [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "x", params: [:], templateId: nil)],
                                         dueAt: Date(), now: Date()), "a combined message sharing one occurrence")
    }
}

/// The running service plans once and reuses the plan while nothing it was made from changes:
/// news from this process (the API, a reload) comes as `fresh`, writes by other processes
/// through SQLite's data version. Both must lead to a new plan, and nothing else should.
@Suite("The service's plan memo")
struct PlanMemoTests {
    func addCustomer(_ id: String, to store: Store, clock: ShopClock) throws {
        let csv = TestSupport.temporaryFolder("memo").appendingPathComponent("c.csv")
        try "id,full_name,gender,phone,birthday,opt_out\n\(id),Lê Thị Hoa,female,0912000\(id.suffix(3)),1990-12-01,none\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        _ = try Importer(store: store, clock: clock).run(.customers, file: csv)
    }

    @Test func newDataIsPlannedWhetherItCameFromThisProcessOrAnother() async throws {
        let shop = try DeliveryShop(senders: [:], channels: [:])
        let planner = OutboxPlanner(store: shop.store, config: shop.config, jobs: shop.jobs)
        let up = TestSupport.instant("2026-12-01T08:30:00+07:00")
        var memo: PlanMemo?
        _ = try await planner.step(now: up, upSince: up, lastSeen: nil, memo: &memo, fresh: true)
        #expect(memo != nil)

        // This process adds a customer born on 1 December, but says nothing: the memo is used.
        try addCustomer("N101", to: shop.store, clock: shop.config.clock)
        let nine = TestSupport.instant("2026-12-01T09:00:30+07:00")
        _ = try await planner.step(now: nine, upSince: up, lastSeen: up, memo: &memo, fresh: false)
        #expect(try shop.outbox.isPlanned("birthday:C001:2026"), "the plan's own events come due")
        #expect(try !shop.outbox.isPlanned("birthday:N101:2026"), "no new plan without news")

        // Another process (its own connection) adds one: its write is seen, and a new plan made.
        try addCustomer("N102", to: try Store(url: shop.config.database), clock: shop.config.clock)
        let later = nine.addingTimeInterval(30)
        _ = try await planner.step(now: later, upSince: up, lastSeen: nine, memo: &memo, fresh: false)
        #expect(try shop.outbox.isPlanned("birthday:N102:2026"))
        #expect(try shop.outbox.isPlanned("birthday:N101:2026"))

        // News from this process (the API rings the scheduler) makes a new plan too.
        try addCustomer("N103", to: shop.store, clock: shop.config.clock)
        let then = later.addingTimeInterval(30)
        _ = try await planner.step(now: then, upSince: up, lastSeen: later, memo: &memo, fresh: false)
        #expect(try !shop.outbox.isPlanned("birthday:N103:2026"))
        _ = try await planner.step(now: then, upSince: up, lastSeen: later, memo: &memo, fresh: true)
        #expect(try shop.outbox.isPlanned("birthday:N103:2026"))
    }
}
