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

/// Customers' replies and opt-outs (issue 27, item 3) through the API's routes, in process, on
/// a real SQLite file: eSMS's short-code MO (its GET and `sign`), Zalo's `user_send_text`
/// event, the webhook sender's signed JSON. An opt-out cancels what it forbids at once.
@Suite("Replies and opt-outs, in process")
struct ReplyRouteTests {
    static let environment = ["ESMS_KEY": "k", "ESMS_MO": "m0k3y", "ZALO_TOKEN": "zt", "ZALO_OA_SECRET": "oas3cret", "HOOK_SECRET": "h00k"]
    static let appId = "2074138120372622546"
    static let lanZalo = "2893352839501541173"
    let now = TestSupport.instant("2026-12-07T10:00:00+07:00")

    struct Shop {
        let api: HTTPAPI
        let store: Store
        let folder: URL
        /// C1's planned messages by job: a birthday greeting (advertising), a campaign's, a payment reminder.
        let queued: [String: Int64]
        let reminderC2: Int64
    }

    func shop() async throws -> Shop {
        let dir = try TestSupport.shopFolder()
        try TestSupport.editConfig(dir) { c in
            var senders = c["senders"] as? [String: Any] ?? [:]
            senders["esms"] = ["type": "sms-http", "url": "http://127.0.0.1:9/send", "apiKey": ["env": "ESMS_KEY"], "cpid": "CP01",
                               "moPrivateKey": ["env": "ESMS_MO"], "body": "{\"Phone\": \"{{to}}\", \"Content\": \"{{text}}\"}"]
            senders["zalo"] = ["type": "zalo-zns", "accessToken": ["env": "ZALO_TOKEN"], "appId": Self.appId, "oaSecretKey": ["env": "ZALO_OA_SECRET"]]
            senders["hook"] = ["type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": ["env": "HOOK_SECRET"]]
            c["senders"] = senders
            c["replies"] = ["confirmation": ["marketing": "Hoa Sen da ngung gui tin QC cho ban.", "all": "Hoa Sen da ngung gui tin cho ban."]]
        }
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"), environment: Self.environment)
        let config = try #require(loaded.config, "\(loaded.errors)")
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        for (id, name, phone, zalo) in [("C1", "Nguyễn Thị Lan", "0912345678", Self.lanZalo), ("C2", "Trần Văn Minh", "0987654321", "")] {
            _ = try store.upsert(.customers, ["id": id, "full_name": name, "phone": phone, "zalo_user_id": zalo],
                                 clock: config.clock, holdFor: .hours(24), now: now)
        }
        func plan(_ key: String, job: String, customer: String, campaign: String? = nil) async throws -> Int64 {
            let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: key, params: [:], templateId: nil)
            _ = try await store.outbox.enqueue([OutboxEntry(keys: [key], job: job, customerId: customer, orderIds: [], reminder: nil,
                                                            renderings: [sms], dueAt: now.addingTimeInterval(3600), campaign: campaign)], now: now)
            return try #require(try await store.outbox.planned(keys: [key])[key]?.id)
        }
        var queued: [String: Int64] = [:]
        queued["birthday"] = try await plan("birthday:C1:2026", job: "birthday", customer: "C1")
        queued["tet-greeting"] = try await plan("campaign:tet-greeting:2027-02-06:C1", job: "tet-greeting", customer: "C1", campaign: "tet-greeting:2027-02-06")
        queued["payment-reminder"] = try await plan("payment-reminder:O1:1", job: "payment-reminder", customer: "C1")
        let reminderC2 = try await plan("payment-reminder:O2:1", job: "payment-reminder", customer: "C2")
        let built = SenderFactory.build(config, environment: Self.environment)
        #expect(built.problems.isEmpty, "\(built.problems)")
        let dispatcher = DeliveryAssembly.dispatcher(config, loaded.jobs, store: store, built: built, log: Logger(label: "test"))
        let api = HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: config, jobs: loaded.jobs, dispatcher: dispatcher)), wakeup: Wakeup(),
                          token: "t0k3n", webhookSecret: nil, maxBody: 64 * 1024, clock: WallClock { [now] in now })
        return Shop(api: api, store: store, folder: dir, queued: queued, reminderC2: reminderC2)
    }

    static func answer(_ body: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }

    /// eSMS's MO call as its documentation writes it, signed base64(MD5(cpid + smsid + content + receiverTime + key)).
    static func mo(_ content: String, smsid: String, from: String = "84912345678", key: String = "m0k3y") -> String {
        "/webhooks/inbound/esms?" + ESMSInbound.query(from: from, content: content, smsid: smsid, time: "20261207100500", key: key)
    }

    @Test func anSMSOptOutCancelsTheQueuedAdvertisingAndIsConfirmedInESMSsAnswer() async throws {
        let shop = try await shop()
        try await Application(router: shop.api.router()).test(.router) { client in
            try await client.execute(uri: Self.mo("Từ chối  qc.", smsid: "mo-1"), method: .get) { r in
                #expect(r.status == .ok)
                let xml = String(buffer: r.body)
                #expect(xml.contains("<Message>Hoa Sen da ngung gui tin QC cho ban.</Message>") && xml.contains("<Smsid>mo-1</Smsid>")
                        && xml.contains("<Receiver>84912345678</Receiver>"), "eSMS's ClientResponse carries the confirmation: \(xml)")
            }
            try await client.execute(uri: Self.mo("Từ chối  qc.", smsid: "mo-1"), method: .get) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("<Message>Hoa Sen da ngung gui tin QC cho ban.</Message>"),
                        "eSMS's retry: the confirmation again, nothing stored twice")
            }
            try await client.execute(uri: Self.mo("TC", smsid: "mo-2", key: "guess"), method: .get) { r in #expect(r.status == .unauthorized) }
        }
        let states = try await shop.store.outbox.planned(keys: ["birthday:C1:2026", "campaign:tet-greeting:2027-02-06:C1", "payment-reminder:O1:1"])
        #expect(states["birthday:C1:2026"]?.state == .cancelled && states["campaign:tet-greeting:2027-02-06:C1"]?.state == .cancelled)
        #expect(states["payment-reminder:O1:1"]?.state == .planned, "advertising only: the order's reminder still goes")
        let birthday = try #require(try await shop.store.outbox.message(shop.queued["birthday"]!))
        #expect(birthday.lastError == "customer opted out of marketing")
        let replies = try await shop.store.replies(customerId: "C1", limit: 10)
        #expect(replies.count == 1 && replies[0].optOut == .marketing && replies[0].cancelled == 2 && replies[0].text == "Từ chối  qc.", "once: \(replies)")
        let audit = try shop.store.recent(limit: 5)
        #expect(audit.contains { $0.user == "reply:esms" && $0.action == "opt-out" && $0.subject == "C1" && Sentence(stored: $0.detail)?.text(.vi) == "Khách nhắn “Từ chối  qc.”: từ chối tin quảng cáo; 2 tin đang chờ đã hủy" }, "\(audit)")
        let facts = try shop.store.sendingFacts(customerId: "C1", orderIds: [])
        #expect(facts.optOut == .marketing)
    }

    @Test func zaloAndWebhookRepliesAreKeptAgainstTheirCustomerOrUnmatched() async throws {
        let shop = try await shop()
        let event = #"{"app_id":"\#(Self.appId)","sender":{"id":"\#(Self.lanZalo)"},"user_id_by_app":"552177279717587730","recipient":{"id":"579745863508352884"},"event_name":"user_send_text","message":{"text":"Cảm ơn shop, mai em chuyển khoản nhé","msg_id":"96d3cdf3af150460909"},"timestamp":"1796612700000"}"#
        let mac = SHA256.hash(data: Data((Self.appId + event + "1796612700000" + "oas3cret").utf8)).map { String(format: "%02x", $0) }.joined()
        @Sendable func hook(_ json: String) -> (HTTPFields, ByteBuffer) {
            let sig = "sha256=" + HMAC<SHA256>.authenticationCode(for: Data(json.utf8), using: SymmetricKey(data: Data("h00k".utf8))).map { String(format: "%02x", $0) }.joined()
            return ([HTTPField.Name("X-Carecron-Signature")!: sig, .contentType: "application/json"], ByteBuffer(string: json))
        }
        try await Application(router: shop.api.router()).test(.router) { client in
            try await client.execute(uri: "/webhooks/inbound/zalo", method: .post, headers: [HTTPField.Name("X-ZEvent-Signature")!: "mac=\(mac)"],
                                     body: ByteBuffer(string: event)) { r in
                #expect(r.status == .ok && Self.answer(r.body)["replies"] as? Int == 1, "\(String(buffer: r.body))")
            }
            let unknown = hook(#"{"id":"w-1","phone":"0909000111","text":"HUY"}"#)
            try await client.execute(uri: "/webhooks/inbound/hook", method: .post, headers: unknown.0, body: unknown.1) { r in
                #expect(r.status == .ok && Self.answer(r.body)["optOuts"] as? Int == 0, "nobody to opt out: kept, unmatched")
            }
            let stop = hook(#"{"id":"w-2","phone":"0987654321","text":"stop","at":"2026-12-07T10:07:00+07:00"}"#)
            try await client.execute(uri: "/webhooks/inbound/hook", method: .post, headers: stop.0, body: stop.1) { r in
                let a = Self.answer(r.body)
                #expect(r.status == .ok && a["optOuts"] as? Int == 1 && a["cancelled"] as? Int == 1 && a["confirmation"] as? String == "Hoa Sen da ngung gui tin cho ban.", "\(a)")
            }
            let forged = hook(#"{"id":"w-3","phone":"0987654321","text":"TC"}"#)
            try await client.execute(uri: "/webhooks/inbound/hook", method: .post, headers: [HTTPField.Name("X-Carecron-Signature")!: "sha256=00"],
                                     body: forged.1) { r in #expect(r.status == .unauthorized) }
            let bad = hook(#"{"id":"w-4","phone":"not a phone","text":"TC"}"#)
            try await client.execute(uri: "/webhooks/inbound/hook", method: .post, headers: bad.0, body: bad.1) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("phone"))
            }
            try await client.execute(uri: "/webhooks/inbound/console", method: .post, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .notFound, "the console sender hears no replies")
            }
        }
        let all = try await shop.store.replies(customerId: nil, limit: 10)
        #expect(all.map(\.text) == ["stop", "HUY", "Cảm ơn shop, mai em chuyển khoản nhé"])
        #expect(all[2].customerId == "C1" && all[2].optOut == nil && all[2].channel == "zalo"
                && all[2].receivedAt == Date(timeIntervalSince1970: 1_796_612_700), "Zalo's own timestamp")
        #expect(all[1].customerId == nil && all[1].optOut == nil && all[1].from == "+84909000111")
        #expect(all[0].customerId == "C2" && all[0].optOut == .all)
        #expect(try await shop.store.outbox.message(shop.reminderC2)?.state == .cancelled, "STOP: every message, the order's too")
        #expect(try await shop.store.outbox.message(shop.queued["payment-reminder"]!)?.state == .planned, "Lan's thanks opt out of nothing")

        let listed = try TestSupport.carecron(["replies", "list"], in: shop.folder).stdout
        #expect(listed.contains("unmatched: HUY") && listed.contains("C2 (Trần Văn Minh): stop  [opt-out: all, 1 queued message(s) cancelled]"), "\(listed)")
    }

    @Test func keywordsIgnoreAccentsCaseSpacingAndPunctuation() {
        let k = OptOutKeywords()
        for said in ["TC", "tc", " T C ", "Huỷ", "HỦY!", "stop", "Từ chối", "tu-choi"] { #expect(k.optOut(in: said) == .all, "\(said)") }
        for said in ["TC QC", "tcqc", "Từ chối QC.", "huy qc"] { #expect(k.optOut(in: said) == .marketing, "\(said)") }
        for said in ["tc giúp em đơn D01", "Cảm ơn", "", "QC"] { #expect(k.optOut(in: said) == nil, "\(said)") }
    }

    /// The replies list and the customer's page show what the customer wrote and what an
    /// opt-out did, in Vietnamese; a message that changed channel says why.
    @Test func theConsoleShowsRepliesAndOptOuts() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let store = try Store(url: try #require(folder).appendingPathComponent("var/carecron.sqlite"))
        let at = TestSupport.instant("2026-12-07T10:05:00+07:00")
        let phone = try #require(try store.customerWithOrders(id: "C001")?.0.facts.phone)
        _ = try await store.record(InboundReply(sender: "esms", channel: "sms", providerId: "mo-1", from: .phone(phone), text: "Shop ơi giao chiều nhé", at: at),
                                   optOut: nil, now: at)
        _ = try await store.record(InboundReply(sender: "esms", channel: "sms", providerId: "mo-2", from: .phone(phone), text: "TC QC", at: at.addingTimeInterval(60)),
                                   optOut: OptOutScope(.marketing, advertisingJobs: ["birthday"]), now: at)
        _ = try await store.record(InboundReply(sender: "esms", channel: "sms", providerId: "mo-3", from: .phone("+84909000111"), text: "ai đây?", at: at),
                                   optOut: nil, now: at)
        var zalo = Rendering(channel: "zalo", to: phone, subject: nil, text: "tin", params: [:], templateId: "231")
        zalo.awaitReceipt = 600
        _ = try await store.outbox.enqueue(keys: ["fb:1"], job: "payment-reminder", customerId: "C001", orderIds: [], reminder: nil,
                                           renderings: [zalo, Rendering(channel: "sms", to: phone, subject: nil, text: "SMS", params: [:], templateId: nil)],
                                           dueAt: at, now: at)
        let m = try #require(try await store.outbox.claimDue(now: at, limit: 50).first { $0.key == "fb:1" })
        try await store.outbox.record([.sender(m.id, name: "zns"), .sent(m.id, providerId: "z-1", at: at, receiptDue: at.addingTimeInterval(600))])
        let due = try #require(try await store.outbox.awaitingFallback(dueBy: at.addingTimeInterval(600), limit: 5).first)
        let why = DeliveryFallback.reason(channel: "zalo", next: "sms", undelivered: nil, wait: .minutes(10))
        #expect(try await store.outbox.fallBackUndelivered(due, reason: why.description, at: at, now: at))
        try await Application(router: router).test(.router) { client in
            let user = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            try await client.execute(uri: "/console/replies", method: .get, headers: user) { r in
                let page = ConsoleRouteTests.text(r.body)
                #expect(page.contains("<h1>Tin khách trả lời</h1>") && page.contains("Shop ơi giao chiều nhé"))
                #expect(page.contains("<strong class=\"optout\">Từ chối tin quảng cáo</strong>"), "the opt-out marked")
                #expect(page.contains("Không rõ khách"), "an unknown number kept, marked unmatched")
            }
            try await client.execute(uri: "/console/customers/C001", method: .get, headers: user) { r in
                let page = ConsoleRouteTests.text(r.body)
                #expect(page.contains("id=\"replies\">Tin khách trả lời") && page.contains("TC QC") && !page.contains("ai đây?"))
                #expect(page.contains("<option value=\"marketing\" selected>tin quảng cáo</option>"), "the profile says it")
            }
            try await client.execute(uri: "/console/outbox/\(m.id)", method: .get, headers: user) { r in
                #expect(ConsoleRouteTests.text(r.body).contains("id=\"fallback\">zalo không báo đã đến khách sau"), "\(ConsoleRouteTests.text(r.body))")
            }
        }
    }

    /// The customer asks the shop on the phone: an editor sets her opt-out on her page; what it
    /// forbids and is queued is cancelled at once, the audit says who, a viewer has no form.
    @Test func anEditorSetsAnOptOutOnTheCustomersPage() async throws {
        var folder: URL?
        let router = try ConsoleRouteTests.router(edit: { folder = $0 })
        let store = try Store(url: try #require(folder).appendingPathComponent("var/carecron.sqlite"))
        let at = TestSupport.instant("2026-12-07T10:05:00+07:00")
        let sms = Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "QC", params: [:], templateId: nil)
        _ = try await store.outbox.enqueue(keys: ["birthday:C001:x"], job: "birthday", customerId: "C001", orderIds: [], reminder: nil,
                                           renderings: [sms], dueAt: at.addingTimeInterval(86_400), now: at)
        try await Application(router: router).test(.router) { client in
            let user = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/customers/C001", method: .get, headers: user) { ConsoleRouteTests.text($0.body) }
            #expect(page.contains("<option value=\"none\" selected>không</option>"), "the form shows the current choice")
            let csrf = try #require(ConsoleRouteTests.csrf(page))
            try await client.execute(uri: "/console/customers/C001/opt-out", method: .post, headers: ConsoleRouteTests.form(user),
                                     body: ConsoleRouteTests.encoded(["csrf": csrf, "optOut": "marketing"])) { r in
                #expect(r.status == .seeOther && r.headers[.location]?.contains("done=opt_out&cancelled=1") == true, "\(r.headers)")
            }
            try await client.execute(uri: "/console/customers/C001?done=opt_out&cancelled=1", method: .get, headers: user) { r in
                let page = ConsoleRouteTests.text(r.body)
                #expect(page.contains("<option value=\"marketing\" selected>tin quảng cáo</option>") && page.contains("Đã lưu. 1 tin đang chờ gửi đã hủy"))
            }
            try await client.execute(uri: "/console/customers/C001/opt-out", method: .post, headers: ConsoleRouteTests.form(user),
                                     body: ConsoleRouteTests.encoded(["optOut": "none"])) { r in #expect(r.status != .seeOther, "no token, no change") }
        }
        #expect(try store.sendingFacts(customerId: "C001", orderIds: []).optOut == .marketing)
        #expect(try await store.outbox.planned(keys: ["birthday:C001:x"])["birthday:C001:x"]?.state == .cancelled)
        let audit = try #require(try store.recent(limit: 5).first { $0.action == "opt-out set" })
        #expect(audit.user == "lan" && Sentence(stored: audit.detail)?.text(.vi) == "Từ chối nhận tin: không từ chối → tin quảng cáo; 1 tin đang chờ đã hủy")
    }
}
