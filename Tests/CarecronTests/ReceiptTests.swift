import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Crypto
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing

/// Delivery receipts (issue 27, item 1) through the API's routes, in process, on a real SQLite
/// file, with senders built from config.json: eSMS's GET callback (its query fields, a token in
/// the URL), Zalo's `user_received_message` event (its JSON and `X-ZEvent-Signature`), the
/// webhook sender's signed JSON; forged ones refused 401, a replay changing nothing.
@Suite("Delivery receipts, in process")
struct ReceiptRouteTests {
    static let environment = ["ESMS_KEY": "k", "ESMS_RECEIPTS": "r3c3ipt", "ZALO_TOKEN": "zt", "ZALO_OA_SECRET": "oas3cret", "HOOK_SECRET": "h00k"]
    static let appId = "2074138120372622546"
    let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    /// The shop, its API, and three sent messages: one per sender, with the providers' ids.
    func shop() async throws -> (HTTPAPI, Store, [Int64], String) {
        let dir = try TestSupport.shopFolder()
        try TestSupport.editConfig(dir) { c in
            var senders = c["senders"] as? [String: Any] ?? [:]
            senders["esms"] = ["type": "sms-http", "url": "http://127.0.0.1:9/send", "apiKey": ["env": "ESMS_KEY"],
                               "receiptToken": ["env": "ESMS_RECEIPTS"], "body": "{\"Phone\": \"{{to}}\", \"Content\": \"{{text}}\"}",
                               "idPath": "SMSID"]
            senders["zalo"] = ["type": "zalo-zns", "accessToken": ["env": "ZALO_TOKEN"], "appId": Self.appId, "oaSecretKey": ["env": "ZALO_OA_SECRET"]]
            senders["hook"] = ["type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": ["env": "HOOK_SECRET"]]
            c["senders"] = senders
        }
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"), environment: Self.environment)
        let config = try #require(loaded.config, "\(loaded.errors)")
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let built = SenderFactory.build(config, environment: Self.environment)
        #expect(built.problems.isEmpty, "\(built.problems)")
        let dispatcher = DeliveryAssembly.dispatcher(config, loaded.jobs, store: store, built: built, log: Logger(label: "test"))
        let api = HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: config, jobs: loaded.jobs, dispatcher: dispatcher)), wakeup: Wakeup(),
                          token: "t0k3n", webhookSecret: nil, maxBody: 64 * 1024, clock: WallClock { [now] in now })
        let rendering = [Rendering(channel: "sms", to: "+84901888484", subject: nil, text: "tin", params: [:], templateId: nil)]
        for i in 0..<3 {
            _ = try await store.outbox.enqueue(keys: ["job:O\(i):1"], job: "job", customerId: nil, orderIds: ["O\(i)"], reminder: 1,
                                               renderings: rendering, dueAt: now, now: now)
        }
        let ids = try await store.outbox.claimDue(now: now, limit: 3).map(\.id).sorted()
        try await store.outbox.record([.sender(ids[0], name: "esms"), .sent(ids[0], providerId: "dc712784-4c9d", at: now),
                                       .sender(ids[1], name: "zalo"), .sent(ids[1], providerId: "15a0cc0bbb13bd4ce403", at: now),
                                       .sender(ids[2], name: "hook"), .sent(ids[2], providerId: nil, at: now)])
        let key = try #require(try await store.outbox.message(ids[2])?.key)
        return (api, store, ids, key)
    }

    static func answer(_ body: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }

    @Test func eSMSReportsByGETWithItsTokenAndARetryChangesNothing() async throws {
        let (api, store, ids, _) = try await shop()
        let report = "SMSID=dc712784-4c9d&SendFailed=0&SendStatus=5&SendSuccess=1&TotalPrice=0.0000&TotalReceiver=1&TotalSent=1&RequestId=&TypeId=2&telcoid=1&phonenumber=0901888484&switchsmsid="
        try await Application(router: api.router()).test(.router) { client in
            try await client.execute(uri: "/webhooks/receipts/esms?token=r3c3ipt&" + report, method: .get) { r in
                #expect(r.status == .ok)
                #expect(Self.answer(r.body)["recorded"] as? Int == 1, "\(String(buffer: r.body))")
            }
            for _ in 0..<5 {  // eSMS retries up to five times
                try await client.execute(uri: "/webhooks/receipts/esms?token=r3c3ipt&" + report, method: .get) { r in
                    #expect(r.status == .ok && Self.answer(r.body)["unchanged"] as? Int == 1)
                }
            }
            try await client.execute(uri: "/webhooks/receipts/esms?token=wrong&" + report, method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/webhooks/receipts/esms?" + report, method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/webhooks/receipts/esms?token=r3c3ipt&SMSID=dc712784-4c9d&SendStatus=7", method: .get) { r in
                #expect(r.status == .ok && Self.answer(r.body)["outcome"] as? String == "ignored", "7: waiting for the carrier")
            }
            try await client.execute(uri: "/webhooks/receipts/esms?token=r3c3ipt&SMSID=nobody-knows&SendStatus=5&SendSuccess=1", method: .get) { r in
                #expect(r.status == .ok && Self.answer(r.body)["unknown"] as? Int == 1, "an unknown message: 200, never a retry loop")
            }
            try await client.execute(uri: "/webhooks/receipts/esms?token=r3c3ipt&SendStatus=5", method: .get) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("SMSID"))
            }
            try await client.execute(uri: "/webhooks/receipts/console?token=r3c3ipt&" + report, method: .get) { r in
                #expect(r.status == .notFound, "the console sender takes no receipts")
            }
        }
        let m = try #require(try await store.outbox.message(ids[0]))
        #expect(m.delivery == .delivered && m.deliveredAt == now && m.state == .sent)
    }

    @Test func aRejectedSMSIsUndeliveredWithEsmsWords() async throws {
        let (api, store, ids, _) = try await shop()
        try await Application(router: api.router()).test(.router) { client in
            try await client.execute(uri: "/webhooks/receipts/esms?token=r3c3ipt&SMSID=dc712784-4c9d&SendStatus=5&SendSuccess=0&SendFailed=1", method: .get) { r in
                #expect(r.status == .ok)
            }
        }
        let m = try #require(try await store.outbox.message(ids[0]))
        #expect(m.delivery == .undelivered && m.deliveryReason == "eSMS SendStatus 5, SendFailed 1")
    }

    /// Zalo's sample event (developers.zalo.me), signed as Zalo signs: sha256 of app id, body,
    /// timestamp and the OA's secret key, hex, in `X-ZEvent-Signature: mac=…`.
    @Test func zaloSignsItsEventsAndAForgedOneIsRefused() async throws {
        let (api, store, ids, _) = try await shop()
        let body = #"{"sender":{"id":"2893352839501541173"},"recipient":{"id":"84901888484"},"event_name":"user_received_message","message":{"delivery_time":"1796612460000","msg_id":"15a0cc0bbb13bd4ce403","tracking_id":"job:O1:1"},"app_id":"2074138120372622546","timestamp":"1796612461000"}"#
        @Sendable func mac(_ secret: String) -> String {
            SHA256.hash(data: Data((Self.appId + body + "1796612461000" + secret).utf8)).map { String(format: "%02x", $0) }.joined()
        }
        try await Application(router: api.router()).test(.router) { client in
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: [HTTPField.Name("X-ZEvent-Signature")!: "mac=" + mac("not-the-secret")],
                                     body: ByteBuffer(string: body)) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, body: ByteBuffer(string: body)) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: [HTTPField.Name("X-ZEvent-Signature")!: "mac=" + mac("oas3cret")],
                                     body: ByteBuffer(string: body)) { r in
                #expect(r.status == .ok && Self.answer(r.body)["recorded"] as? Int == 1, "\(String(buffer: r.body))")
            }
            let other = body.replacingOccurrences(of: "user_received_message", with: "follow")
            let signed = SHA256.hash(data: Data((Self.appId + other + "1796612461000" + "oas3cret").utf8)).map { String(format: "%02x", $0) }.joined()
            try await client.execute(uri: "/webhooks/receipts/zalo", method: .post, headers: [HTTPField.Name("X-ZEvent-Signature")!: signed],
                                     body: ByteBuffer(string: other)) { r in
                #expect(r.status == .ok && Self.answer(r.body)["outcome"] as? String == "ignored", "another event: neither receipt nor reply")
            }
        }
        let m = try #require(try await store.outbox.message(ids[1]))
        #expect(m.delivery == .delivered && m.deliveredAt == Date(timeIntervalSince1970: 1_796_612_460), "Zalo's delivery_time, not the receipt's arrival")
    }

    @Test func theWebhookSendersReceiptCarriesTheIdempotencyKey() async throws {
        let (api, store, ids, key) = try await shop()
        let body = #"{"idempotencyKey": "\#(key)", "status": "undelivered", "at": "2026-12-07T10:05:00+07:00", "reason": "hộp thư đầy"}"#
        try await Application(router: api.router()).test(.router) { client in
            let signature = WebhookSender.signature(Data(body.utf8), secret: "h00k")
            try await client.execute(uri: "/webhooks/receipts/hook", method: .post, headers: [HTTPField.Name("X-Carecron-Signature")!: signature],
                                     body: ByteBuffer(string: body)) { r in #expect(r.status == .ok && Self.answer(r.body)["recorded"] as? Int == 1) }
            try await client.execute(uri: "/webhooks/receipts/hook", method: .post, headers: [HTTPField.Name("X-Carecron-Signature")!: "sha256=00"],
                                     body: ByteBuffer(string: body)) { r in #expect(r.status == .unauthorized) }
        }
        let m = try #require(try await store.outbox.message(ids[2]))
        #expect(m.delivery == .undelivered && m.deliveryReason == "hộp thư đầy" && m.deliveredAt == TestSupport.instant("2026-12-07T10:05:00+07:00"))
    }
}

/// A receipt on the console's outbox pages, in Vietnamese; the provider's words kept on the
/// message's page for the record.
@Suite("Delivery receipts on the console")
struct ReceiptConsoleTests {
    @Test func theOutboxSaysWhatTheProviderSaidLater() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let store = try Store(url: try #require(folder).appendingPathComponent("var/carecron.sqlite"))
        let now = TestSupport.instant("2026-12-07T10:00:00+07:00")
        let rendering = [Rendering(channel: "sms", to: "+84901888484", subject: nil, text: "tin", params: [:], templateId: nil)]
        for i in 0..<2 {
            _ = try await store.outbox.enqueue(keys: ["rcpt:R\(i):1"], job: "payment-reminder", customerId: "C001", orderIds: ["R\(i)"], reminder: 1,
                                               renderings: rendering, dueAt: now, now: now)
        }
        let ids = try await store.outbox.claimDue(now: now, limit: 10).map(\.id).sorted().suffix(2)
        let (delivered, rejected) = (ids.first!, ids.last!)
        try await store.outbox.record([.sender(delivered, name: "esms"), .sent(delivered, providerId: "s-1", at: now),
                                       .sender(rejected, name: "esms"), .sent(rejected, providerId: "s-2", at: now)])
        let later = now.addingTimeInterval(65)
        _ = try await store.outbox.record(DeliveryReceipt(sender: "esms", reference: .providerId("s-1"), status: .delivered, at: later), now: later)
        _ = try await store.outbox.record(DeliveryReceipt(sender: "esms", reference: .providerId("s-2"), status: .undelivered, at: later,
                                                          reason: "eSMS SendStatus 4 (rejected)"), now: later)
        try await Application(router: router).test(.router) { client in
            let user = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            try await client.execute(uri: "/console/outbox?state=sent", method: .get, headers: user) { r in
                let page = ConsoleRouteTests.text(r.body)
                #expect(page.contains("Đã đến khách lúc T2 07/12/2026 10:01") && page.contains("Không đến được khách (T2 07/12/2026 10:01)"))
            }
            try await client.execute(uri: "/console/outbox/\(rejected)", method: .get, headers: user) { r in
                let page = ConsoleRouteTests.text(r.body)
                #expect(page.contains("id=\"delivery\"><strong>Không đến được khách") && page.contains("<pre>eSMS SendStatus 4 (rejected)</pre>"))
            }
            try await client.execute(uri: "/console/customers/C001", method: .get, headers: user) { r in
                #expect(ConsoleRouteTests.text(r.body).contains("<small class=\"delivery\">Đã đến khách lúc T2 07/12/2026 10:01</small>"), "the customer's page too")
            }
            try await client.execute(uri: "/console/outbox/\(delivered)?lang=en", method: .get, headers: user) { r in
                #expect(ConsoleRouteTests.text(r.body).contains("delivered at 2026-12-07T10:01:05+07:00"))
            }
        }
    }
}

/// Issue 27, item 4: a ZNS test send from the console goes in Zalo's development mode.
@Suite("Zalo test sends")
struct ZaloTestSendTests {
    @Test func aConsoleTestOfAZNSTemplateUsesDevelopmentMode() async throws {
        let zalo = try TestServer("http_server.py", ["--zalo"])
        let router = try ConsoleRouteTests.router(edit: { dir in
            try "zalo-token\n".write(to: dir.appendingPathComponent("zns.token"), atomically: true, encoding: .utf8)
            try TestSupport.editConfig(dir) { c in
                var senders = c["senders"] as! [String: Any]
                senders["zns"] = ["type": "zalo-zns", "baseURL": zalo.url, "accessToken": ["file": "zns.token"]]
                c["senders"] = senders
                c["channels"] = ["sms": "console", "email": "console", "zalo": "zns"]
                c["console"] = ["testRecipients": ["0912 000 999"]]
            }
            let job = dir.appendingPathComponent("jobs/payment-reminder.json")
            var j = try JSONSerialization.jsonObject(with: Data(contentsOf: job)) as! [String: Any]
            j["channels"] = ["zalo", "sms", "email"]
            j["templates"] = (j["templates"] as! [[String: Any]]).map { t in
                var t = t
                t["zalo"] = ["templateId": "7895417a7d3f9461cd2e", "params": ["ten": "{{customer.salutation}}", "ma_don": "{{order.id}}"]]
                return t
            }
            try JSONSerialization.data(withJSONObject: j).write(to: job)
        })
        try await Application(router: router).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let csrf = try await client.execute(uri: "/console/jobs/payment-reminder/edit", method: .get, headers: editor) { r in
                try #require(ConsoleRouteTests.csrf(ConsoleRouteTests.text(r.body)))
            }
            let send = ["csrf": csrf, "variant": "1", "customer": "C001", "channel": "zalo", "recipient": "+84912000999"]
            try await client.execute(uri: "/console/jobs/payment-reminder/test?lang=en", method: .post, headers: ConsoleRouteTests.form(editor),
                                     body: ConsoleRouteTests.encoded(send)) { r in
                #expect(r.status == .ok && ConsoleRouteTests.text(r.body).contains("sent"),
                        "\(ConsoleRouteTests.text(r.body).components(separatedBy: "id=\"test\"").last?.prefix(600) ?? "")")
            }
        }
        let body = try JSONSerialization.jsonObject(with: Data((try #require(try zalo.requests().first)["body"] as! String).utf8)) as! [String: Any]
        #expect(body["mode"] as? String == "development" && body["phone"] as? String == "84912000999" && body["template_id"] as? String == "7895417a7d3f9461cd2e")
    }
}
