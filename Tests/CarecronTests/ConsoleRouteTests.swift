import CarecronConfig
@testable import CarecronConsole
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdBcrypt
import HummingbirdTesting
import Testing

/// The marketers' console in process (HummingbirdTesting, no socket) on the basic scenario's
/// real SQLite file: logging in, roles, the plan with its reasons, escaping, headers.
@Suite("Console routes, in process")
struct ConsoleRouteTests {
    /// Cost 4: the test hashes quickly; the service's own hashes are cost 12.
    static let lanHash = Bcrypt.hash("mat-khau-lan", cost: 4)
    static let minhHash = Bcrypt.hash("mat-khau-minh", cost: 4)

    static func router(users: Bool = true, secure: Bool = false, reload: @escaping @Sendable () async -> Void = {},
                       outboxChanged: @escaping @Sendable () async -> Void = {},
                       edit: (URL) throws -> Void = { _ in }) throws -> Router<BasicRequestContext> {
        let dir = try TestSupport.shopFolder()
        try edit(dir)
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        let importer = Importer(store: store, clock: config.clock)
        _ = try importer.run(.customers, file: TestSupport.basicScenario.appendingPathComponent("customers.csv"))
        _ = try importer.run(.orders, file: TestSupport.basicScenario.appendingPathComponent("orders.csv"))
        // A customer whose name is markup: shown as text, never run.
        let now = TestSupport.instant("2026-11-30T10:00:00+07:00")
        _ = try store.upsert(.customers, ["id": "X1", "full_name": "<script>alert(1)</script>", "phone": "0912000111"],
                             clock: config.clock, holdFor: .hours(24), now: now)
        _ = try store.upsert(.orders, ["id": "X1-1", "customer_id": "X1", "placed_at": "2026-12-01T08:30:00+07:00", "amount": "120000"],
                             clock: config.clock, holdFor: .hours(24), now: now)
        let settings = ConsoleSettings(users: users ? [.init(name: "lan", role: .editor, passwordHash: .literal(lanHash)),
                                                       .init(name: "minh", role: .viewer, passwordHash: .literal(minhHash))] : [])
        let jobs = loaded.jobs
        let environment = ConsoleEnvironment(store: store, clock: WallClock { now }, secureCookies: secure, reload: reload,
                                             outboxChanged: outboxChanged) { (config, jobs) }
        let console = Console(environment: environment, users: ConsoleUsers(settings, relativeTo: dir), views: try Views.load(), hosts: Self.hosts)
        let router = Router()
        console.mount(on: router)
        return router
    }

    static func text(_ body: ByteBuffer) -> String { String(buffer: body) }

    /// Logs in and returns the `Cookie` header that carries the session.
    static func logIn(_ client: some TestClientProtocol, _ user: String, _ password: String) async throws -> HTTPFields {
        try await client.execute(uri: "/console/login", method: .post, headers: Self.posting,
                                 body: ByteBuffer(string: "user=\(user)&password=\(password)")) { r in
            #expect(r.status == .seeOther && r.headers[.location] == "/console/plan")
            let cookie = try #require(r.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
            return [.cookie: String(cookie.split(separator: ";")[0])]
        }
    }

    /// Each table row of a page as its cells' text, " | " between cells: what a person reads.
    static func rows(_ page: String) -> [String] {
        page.components(separatedBy: "<tr").dropFirst().map { row in
            let row = row.components(separatedBy: "</tr>")[0]
            return row.components(separatedBy: "<td").dropFirst().map { cell in
                cell.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
                    .replacingOccurrences(of: "^[^>]*>", with: "", options: .regularExpression)
                    .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            }.joined(separator: " | ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
    }

    static func csrf(_ page: String) -> String? {
        guard let r = page.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "\"" })
    }

    @Test func everyPageNeedsALoginAndAWrongPasswordIsRefused() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            try await client.execute(uri: "/console/plan", method: .get) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/console/login")
            }
            try await client.execute(uri: "/console/login", method: .get) { r in
                #expect(r.status == .ok && Self.text(r.body).contains("Đăng nhập"))
            }
            try await client.execute(uri: "/console/login?lang=en", method: .post, headers: Self.posting,
                                     body: ByteBuffer(string: "user=lan&password=wrong")) { r in
                #expect(r.status == .unauthorized && Self.text(r.body).contains("Wrong user or password."))
                #expect(r.headers[.setCookie] == nil)
            }
            try await client.execute(uri: "/console/login", method: .post, headers: Self.posting,
                                     body: ByteBuffer(string: "user=nobody&password=mat-khau-lan")) { r in
                #expect(r.status == .unauthorized)
            }
        }
    }

    @Test func thePlanShowsTheNoonReminderAndWhatIsNotSentWithItsReason() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            let cookie = try await Self.logIn(client, "minh", "mat-khau-minh")
            try await client.execute(uri: "/console/plan?from=2026-12-01&days=1", method: .get, headers: cookie) { r in
                #expect(r.status == .ok)
                let page = Self.text(r.body)
                #expect(page.contains("<tr class=\"hour\"><th colspan=\"8\">12:00</th></tr>"))
                #expect(Self.rows(page).contains { $0.hasPrefix("12:00 | payment-reminder #1 | C001 Trần Thị Lan | D01 | sms | Chi Lan oi, don D01") },
                        "the customer's name beside the id: \(Self.rows(page).joined(separator: "\n"))")
                #expect(Self.rows(page).contains { $0.contains("payment-reminder | C011") && $0.hasSuffix("| D11 | Nhắc lần 1: đơn D11 đã thanh toán trước giờ gửi") },
                        "the reason in Vietnamese: \(Self.rows(page).joined(separator: "\n"))")
                #expect(page.contains("Chi Lan oi, don D01 (450.000d)"))
                #expect(page.contains("Khách đã từ chối nhận tin quảng cáo"))
                #expect(!page.contains("the customer opted out") && !page.contains("was paid before the slot"), "no English reason on a Vietnamese page")
                #expect(page.contains("minh (chỉ xem)"), "the role in the page's language")
            }
            try await client.execute(uri: "/console/plan?from=2026-12-01&days=1&lang=en", method: .get, headers: cookie) { r in
                let page = Self.text(r.body)
                #expect(page.contains("reminder #1: order D11 was paid before the slot") && page.contains("the customer opted out of marketing"),
                        "the same reasons in English")
            }
            try await client.execute(uri: "/console/plan?from=2026-12-01&days=1&job=birthday&lang=en", method: .get, headers: cookie) { r in
                let page = Self.text(r.body)
                #expect(page.contains("Messages to be sent") && !page.contains("payment-reminder #1"))
            }
        }
    }

    @Test func customerDataIsTextAndTheHeadersForbidScriptsAndFrames() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            let cookie = try await Self.logIn(client, "lan", "mat-khau-lan")
            try await client.execute(uri: "/console/plan?from=2026-12-01&days=2", method: .get, headers: cookie) { r in
                let page = Self.text(r.body)
                #expect(page.contains("X1-1"), "the order of the customer named with markup is planned")
                #expect(!page.contains("<script>alert(1)</script>"))
                let csp = r.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
                #expect(r.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
        }
    }

    @Test func loggingOutNeedsTheFormsTokenAndEndsTheSession() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            let cookie = try await Self.logIn(client, "lan", "mat-khau-lan")
            let token = try await client.execute(uri: "/console/jobs", method: .get, headers: cookie) { r in
                #expect(r.status == .ok && Self.text(r.body).contains("payment-reminder"))
                return try #require(Self.csrf(Self.text(r.body)))
            }
            let form = Self.form(cookie)
            try await client.execute(uri: "/console/logout", method: .post, headers: form, body: ByteBuffer(string: "csrf=forged")) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/console/logout", method: .post, headers: form, body: ByteBuffer(string: "")) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/console/logout", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(token)")) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/console/login")
            }
            try await client.execute(uri: "/console/plan", method: .get, headers: cookie) { r in
                #expect(r.status == .seeOther, "the session is gone")
            }
        }
    }

    /// Issue 24, item 18: a refusal page once said "stale form" and "viewers may not" at once.
    @Test func eachRefusalSaysTheOneThingThatHappened() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            let viewer = try await Self.logIn(client, "minh", "mat-khau-minh")
            let token = try await client.execute(uri: "/console/outbox", method: .get, headers: viewer) { r in try #require(Self.csrf(Self.text(r.body))) }
            let sentences = ["en": ("This form is stale or did not come from the console: reload the page.", "A viewer may look but not change anything."),
                             "vi": ("Biểu mẫu đã cũ hoặc không đến từ bảng điều khiển: hãy tải lại trang.", "Tài khoản chỉ xem (viewer) không được thay đổi.")]
            for (lang, (stale, viewerOnly)) in sentences {
                try await client.execute(uri: "/console/outbox/1/retry?lang=\(lang)", method: .post, headers: Self.form(viewer),
                                         body: ByteBuffer(string: "csrf=forged")) { r in
                    let page = Self.text(r.body)
                    #expect(r.status == .forbidden && page.contains(stale) && !page.contains(viewerOnly), "\(lang): \(page)")
                }
                try await client.execute(uri: "/console/outbox/1/retry?lang=\(lang)", method: .post, headers: Self.form(viewer),
                                         body: ByteBuffer(string: "csrf=\(token)")) { r in
                    let page = Self.text(r.body)
                    #expect(r.status == .forbidden && page.contains(viewerOnly) && !page.contains(stale), "\(lang): \(page)")
                }
            }
        }
    }

    @Test func behindTLSTheSessionCookieIsSecure() async throws {
        try await Application(router: try Self.router(secure: true)).test(.router) { client in
            try await client.execute(uri: "/console/login", method: .post, headers: Self.posting,
                                     body: ByteBuffer(string: "user=lan&password=mat-khau-lan")) { r in
                #expect(r.headers[.setCookie]?.contains("Secure") == true)
            }
        }
        try await Application(router: try Self.router()).test(.router) { client in
            try await client.execute(uri: "/console/login", method: .post, headers: Self.posting,
                                     body: ByteBuffer(string: "user=lan&password=mat-khau-lan")) { r in
                #expect(r.headers[.setCookie]?.contains("Secure") == false)
            }
        }
    }

    @Test func withoutUsersItIsForThisMachineOnly() async throws {
        try await Application(router: try Self.router(users: false)).test(.router) { client in
            try await client.execute(uri: "/console/plan?from=2026-12-01&days=1", method: .get) { r in
                #expect(r.status == .ok && Self.text(r.body).contains("local (biên tập)"))
            }
        }
        let none = ConsoleUsers(ConsoleSettings(), relativeTo: TestSupport.packageRoot)
        #expect(ConsoleAssembly.refusal(host: "127.0.0.1", users: none) == nil)
        #expect(ConsoleAssembly.refusal(host: "0.0.0.0", users: none)?.contains("carecron console passwd USER") == true)
        let some = ConsoleUsers(ConsoleSettings(users: [.init(name: "lan", role: .editor, passwordHash: .literal(Self.lanHash))]),
                                relativeTo: TestSupport.packageRoot)
        #expect(ConsoleAssembly.refusal(host: "0.0.0.0", users: some) == nil)
    }

    @Test func aCustomersPageHasProfileOrdersAndPlanWithReasons() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            let cookie = try await Self.logIn(client, "minh", "mat-khau-minh")
            try await client.execute(uri: "/console/customers/C011?lang=en", method: .get, headers: cookie) { r in
                #expect(r.status == .ok)
                let page = Self.text(r.body), rows = Self.rows(page)
                #expect(page.contains("Trịnh Gia Huy <small>(C011)</small>"))
                #expect(rows.contains { $0.hasPrefix("D11 | ") && $0.contains("300.000₫") && $0.contains("paid") }, "\(rows)")
                #expect(rows.contains { $0.hasPrefix("01/12/2026 12:00 | payment-reminder | D11 | | not sent: reminder #1: order D11 was paid before the slot") }, "\(rows)")
                #expect(rows.contains { $0 == "No message has been written for this customer yet." }, "an empty outbox says so: \(rows)")
            }
            // In Vietnamese the stored values are words too, not the store's own codes.
            try await client.execute(uri: "/console/customers/C011?lang=vi", method: .get, headers: cookie) { r in
                let page = Self.text(r.body), rows = Self.rows(page)
                #expect(rows.contains { $0.hasPrefix("D11 | ") && $0.contains("trả trước") && $0.contains("đã thanh toán") }, "\(rows)")
                #expect(page.contains("<dd>nam</dd>") && !page.contains(">prepaid<") && !page.contains(">paid<"), "\(page)")
                #expect(rows.contains { $0 == "Chưa có tin nào được ghi vào hàng đợi gửi cho khách này." }, "\(rows)")
            }
            try await client.execute(uri: "/console/customers/NOBODY", method: .get, headers: cookie) { r in
                #expect(r.status == .notFound)
            }
        }
    }

    @Test func aPlannedMessageShowsEveryChannelAsItWouldBeCarried() async throws {
        try await Application(router: try Self.router()).test(.router) { client in
            let cookie = try await Self.logIn(client, "lan", "mat-khau-lan")
            try await client.execute(uri: "/console/plan/message?key=payment-reminder:D01:1&from=2026-12-01&days=1&lang=en", method: .get,
                                     headers: cookie) { r in
                #expect(r.status == .ok)
                let page = Self.text(r.body)
                #expect(page.contains("sms → +84912345678") && page.contains("GSM-7") && page.contains("1 segments"))
                #expect(!page.contains("characters forcing UCS-2"), "the shipped SMS is unaccented")
                #expect(page.contains("email → lan@example.vn") && page.contains("Subject:</strong> Chị Lan ơi, đơn D01"))
            }
            try await client.execute(uri: "/console/plan/message?key=nothing:1&from=2026-12-01&days=1", method: .get, headers: cookie) { r in
                #expect(r.status == .notFound)
            }
        }
        // An accented SMS: UCS-2, the characters that force it marked, and the unaccented form beside it.
        let view = MessageView(Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "Chị Lan ơi, đơn D01", params: [:], templateId: nil))
        #expect(view.encoding == "UCS-2" && view.forcing == "ịơđ")
        #expect(view.unaccented == "Chi Lan oi, don D01")
        let runs = (view.runs ?? []).map { "\($0.text)\($0.marked ? "*" : "")" }
        #expect(runs == ["Ch", "ị*", " Lan ", "ơ*", "i, ", "đơ*", "n D01"], "\(runs)")
    }

    @Test func theJobsPageSaysEachScheduleInWordsAndListsABrokenFileWithItsError() async throws {
        let router = try Self.router(edit: { dir in
            let file = dir.appendingPathComponent("jobs/post-sale-checkin.json")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"0 10 * * *\"", with: "\"0 25 * * *\"")
            try text.write(to: file, atomically: true, encoding: .utf8)
        })
        try await Application(router: router).test(.router) { client in
            let cookie = try await Self.logIn(client, "minh", "mat-khau-minh")
            try await client.execute(uri: "/console/jobs", method: .get, headers: cookie) { r in
                let page = Self.text(r.body)
                #expect(page.contains("mỗi ngày lúc 09:00<br><code>0 9 * * *</code>"), "birthday's schedule in words")
                #expect(page.contains("xét từng đơn hàng đúng lúc đến hạn"), "every-minute jobs act on orders")
                #expect(page.contains("<li>T3 01/12/2026 09:00</li>"), "next runs in shop time with the weekday and the year")
                #expect(page.contains("ngày 1/1 âm lịch, 3 ngày trước, lúc 09:00, rải đều trong 2 giờ"), "a campaign's occasion in words")
                #expect(page.contains("ngày 8/3 hằng năm"), "a yearly date in words")
                let broken = try #require(page.range(of: "id=\"job-post-sale-checkin\"")).upperBound
                let row = page[broken...].prefix(1500)
                #expect(row.contains("có lỗi") && row.contains("schedule: invalid schedule"), "\(row)")
            }
            try await client.execute(uri: "/console/jobs?lang=en", method: .get, headers: cookie) { r in
                #expect(Self.text(r.body).contains("every day at 09:00"))
                #expect(Self.text(r.body).contains("lunar 1/1, 3 days before, at 09:00, spread over 2h"))
            }
        }
    }

    /// Retry and drop: editors only, with the form's token, each written to the audit log.
    @Test func editorsRetryAndDropDeadMessagesAndTheAuditLogSaysWho() async throws {
        var storeURL: URL?
        let router = try Self.router(edit: { storeURL = $0.appendingPathComponent("var/carecron.sqlite") })
        let store = try Store(url: try #require(storeURL))
        let now = TestSupport.instant("2026-11-30T10:00:00+07:00")
        let rendering = [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)]
        for key in ["k:1", "k:2"] {
            try Outbox(store: store).enqueue(keys: [key], job: "payment-reminder", customerId: "C001", orderIds: ["D01"], reminder: 1,
                                             renderings: rendering, dueAt: now, now: now)
        }
        // The first gave up on a provider that was down (a retry can help), the second was refused
        // for its recipient (a retry of the same message cannot).
        for m in try Outbox(store: store).claimDue(now: now, limit: 2) {
            try Outbox(store: store).markDead(m.id, error: m.id == 1 ? "gave up after 6 attempts: connect timeout" : "provider refused: blocked number", now: now)
        }
        try await Application(router: router).test(.router) { client in
            let viewer = try await Self.logIn(client, "minh", "mat-khau-minh")
            let viewerToken = try await client.execute(uri: "/console/outbox", method: .get, headers: viewer) { r in
                let page = Self.text(r.body)
                #expect(page.contains("Đã thử 6 lần mà nhà cung cấp vẫn không nhận") && page.contains("Nhà cung cấp từ chối người nhận này"),
                        "each failure said as what it means")
                #expect(!page.contains("/retry\"") && !page.contains("/drop?"), "a viewer sees no buttons")
                return try #require(Self.csrf(page))
            }
            try await client.execute(uri: "/console/outbox/2", method: .get, headers: viewer) { r in
                #expect(Self.text(r.body).contains("provider refused: blocked number"), "the provider's answer is kept for the record")
            }
            try await client.execute(uri: "/console/outbox?lang=vi", method: .get, headers: viewer) { r in
                let page = Self.text(r.body)
                #expect(page.contains("gửi không được: 2 · ") && page.contains(">gửi không được</td>") && !page.contains("could not be sent"),
                        "states in the page's language, the counts without a trailing dot: \(page)")
            }
            var form = Self.form(viewer)
            try await client.execute(uri: "/console/outbox/1/retry", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(viewerToken)")) { r in
                #expect(r.status == .forbidden && Self.text(r.body).contains("viewer"))
            }
            let editor = try await Self.logIn(client, "lan", "mat-khau-lan")
            let token = try await client.execute(uri: "/console/outbox", method: .get, headers: editor) { r in
                let page = Self.text(r.body)
                #expect(page.contains("/console/outbox/1/retry") && !page.contains("/console/outbox/2/retry"), "no retry where it cannot help")
                #expect(page.contains("/console/outbox/2/drop?"), "dropping asks first, on its own page")
                return try #require(Self.csrf(page))
            }
            try await client.execute(uri: "/console/outbox/2/drop?back=%2Fconsole%2Foutbox%3Fstate%3Ddead", method: .get, headers: editor) { r in
                let page = Self.text(r.body)
                #expect(page.contains("Bỏ tin này?") && page.contains("action=\"/console/outbox/2/drop?lang=vi\""), "the question before a drop")
                #expect(page.contains("name=\"back\" value=\"/console/outbox?state=dead\""), "and the list to come back to")
            }
            form = Self.form(editor)
            try await client.execute(uri: "/console/outbox/1/retry", method: .post, headers: form, body: ByteBuffer(string: "")) { r in
                #expect(r.status == .forbidden, "no token, no retry")
            }
            try await client.execute(uri: "/console/outbox/1/retry", method: .post, headers: form, body: ByteBuffer(string: "csrf=\(token)")) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/console/outbox?done=retried&id=1")
            }
            try await client.execute(uri: "/console/outbox?done=retried&id=1", method: .get, headers: editor) { r in
                #expect(Self.text(r.body).contains("Tin #1 đã được xếp lại và sẽ được gửi ngay."), "a line says what happened")
            }
            try await client.execute(uri: "/console/outbox/2/drop", method: .post, headers: form,
                                     body: ByteBuffer(string: "csrf=\(token)&back=%2Fconsole%2Foutbox%3Fstate%3Ddead")) { r in
                #expect(r.status == .seeOther && r.headers[.location] == "/console/outbox?state=dead&done=dropped&id=2", "back to the list it came from")
            }
            try await client.execute(uri: "/console/outbox/2/drop", method: .post, headers: form,
                                     body: ByteBuffer(string: "csrf=\(token)&back=https://elsewhere.example/")) { r in
                #expect(r.headers[.location] == "/console/outbox?done=drop_refused&id=2&state_was=cancelled", "never back to another site")
            }
            try await client.execute(uri: "/console/outbox?done=drop_refused&id=2&state_was=cancelled", method: .get, headers: editor) { r in
                #expect(Self.text(r.body).contains("Không bỏ được tin #2: tin đang ở tình trạng “đã hủy”."))
            }
            try await client.execute(uri: "/console/audit", method: .get, headers: editor) { r in
                let rows = Self.rows(Self.text(r.body))
                #expect(rows.contains { $0.hasSuffix("| lan | bỏ tin | outbox 2 |") } && rows.contains { $0.hasSuffix("| lan | gửi lại | outbox 1 |") }, "\(rows)")
                #expect(!rows.contains { $0.contains("minh") }, "the refused attempt changed nothing")
            }
        }
        #expect(try Outbox(store: store).message(1)?.state == .planned && Outbox(store: store).message(2)?.state == .cancelled)
    }

    /// A form post as the console's own page sends it: the browser names the page's origin.
    static func form(_ cookie: HTTPFields) -> HTTPFields {
        var f = cookie
        f[.contentType] = "application/x-www-form-urlencoded"
        f[.origin] = "http://localhost"
        return f
    }

    static let posting: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .origin: "http://localhost"]

    /// The test client asks for `localhost` (no port): the name a reverse proxy would forward.
    static let hosts = ConsoleHosts(listenHost: "127.0.0.1", port: 8081, allowed: ["localhost"])

    static func encoded(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static func hidden(_ page: String, _ name: String) -> String? {
        guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page[r.upperBound...].prefix { $0 != "\"" })
    }

    /// The editor: a broken rule shown at its line, the fix's diff counting the reworded
    /// messages, a save (atomic, the old version in the history, the service reloaded, audited),
    /// a conflict when the file changed on disk, a viewer's save refused, a restore.
    @Test func editingAJobChecksItShowsThePlanDiffSavesAndRestores() async throws {
        actor Reloads { var count = 0; func add() { count += 1 } }
        let reloads = Reloads()
        var folder: URL?
        let router = try Self.router(reload: { await reloads.add() }, edit: { folder = $0 })
        let file = try #require(folder).appendingPathComponent("jobs/payment-reminder.json")
        let original = try String(contentsOf: file, encoding: .utf8)
        let broken = original.replacingOccurrences(of: "\"text\": \"{{customer.salutation}} oi, don {{#orders}}",
                                                   with: "\"text\": \"Don hang cua {{customer.salutation}}: {{#orders}}")
        let reworded = original.replacingOccurrences(of: "\"text\": \"{{customer.salutation}} oi, don {{#orders}}",
                                                     with: "\"text\": \"{{customer.salutation}} oi, don hang {{#orders}}")
        #expect(broken != original && reworded != original)
        try await Application(router: router).test(.router) { client in
            let editor = try await Self.logIn(client, "lan", "mat-khau-lan")
            let (csrf, base) = try await client.execute(uri: "/console/jobs/payment-reminder/edit?lang=en", method: .get, headers: editor) { r in
                let page = Self.text(r.body)
                #expect(r.status == .ok && page.contains("The file is valid.") && page.contains("No message changes."))
                return (try #require(Self.csrf(page)), try #require(Self.hidden(page, "base")))
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/check?lang=en", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(["csrf": csrf, "base": base, "text": broken])) { r in
                let page = Self.text(r.body)
                #expect(r.status == .unprocessableContent)
                #expect(page.contains("line 26</a>: <code>templates[0].sms</code>: the customer&#39;s name must appear within the first 7 characters")
                        || page.contains("line 26</a>: <code>templates[0].sms</code>: the customer&apos;s name must appear within the first 7 characters"),
                        "\(page.components(separatedBy: "class=\"problems\"").dropFirst().first?.prefix(600) ?? "")")
                #expect(page.contains("<span id=\"line-26\" class=\"bad\""), "the editable box's own line is marked")
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/check?fragment=1&lang=en", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(["csrf": csrf, "base": base, "text": reworded])) { r in
                let page = Self.text(r.body)
                #expect(r.status == .ok && !page.contains("<!doctype html>"), "a fragment for the live check")
                let rows = Self.rows(page)
                let counted = rows.first { $0.hasPrefix("payment-reminder | sms | reworded | ") }
                #expect(counted != nil && Int(counted!.split(separator: "|").last!.trimmingCharacters(in: .whitespaces))! > 0, "\(rows)")
                #expect(!rows.contains { $0.contains("| added |") || $0.contains("| removed |") })
                #expect(page.contains("<ins>Chi Lan oi, don hang D01"))
            }
            let viewer = try await Self.logIn(client, "minh", "mat-khau-minh")
            let viewerCSRF = try await client.execute(uri: "/console/jobs/payment-reminder/edit", method: .get, headers: viewer) { r in
                #expect(Self.text(r.body).contains("readonly"))
                return try #require(Self.csrf(Self.text(r.body)))
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/save", method: .post, headers: Self.form(viewer),
                                     body: Self.encoded(["csrf": viewerCSRF, "base": base, "text": reworded])) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/save", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(["csrf": csrf, "base": base, "text": broken])) { r in
                #expect(r.status == .unprocessableContent, "an invalid file is not saved")
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == original)
            try await client.execute(uri: "/console/jobs/payment-reminder/save", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(["csrf": csrf, "base": base, "text": reworded])) { r in
                #expect(r.status == .seeOther && r.headers[.location]?.hasPrefix("/console/jobs/payment-reminder/edit?saved=1") == true)
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == reworded)
            #expect(await reloads.count == 1, "the service reloads as at SIGHUP")
            // The editor still holds the first version's fingerprint: a second save would overwrite the new file.
            try await client.execute(uri: "/console/jobs/payment-reminder/save?lang=en", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(["csrf": csrf, "base": base, "text": original])) { r in
                #expect(r.status == .conflict && Self.text(r.body).contains("changed on disk since you opened it"))
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == reworded)
            let version = try await client.execute(uri: "/console/jobs/payment-reminder/edit", method: .get, headers: editor) { r in
                let page = Self.text(r.body)
                #expect(page.contains("Đã lưu") == false)
                return try #require(Self.hidden(page, "version"))
            }
            #expect(version.hasSuffix("-lan.json"))
            try await client.execute(uri: "/console/jobs/payment-reminder/restore", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(["csrf": csrf, "version": version])) { r in
                #expect(r.status == .seeOther)
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == original)
            try await client.execute(uri: "/console/audit?lang=en", method: .get, headers: editor) { r in
                let rows = Self.rows(Self.text(r.body))
                #expect(rows.contains { $0.contains("| lan | revert | jobs/payment-reminder.json | restored the version of \(version)") }, "\(rows)")
                #expect(rows.contains { $0.contains("| lan | save | jobs/payment-reminder.json | 1 line(s) changed") }, "\(rows)")
            }
        }
    }

    /// A test send goes through the real sender (an SMS gateway on 127.0.0.1) to an allowed
    /// recipient only, at a limited rate, and the audit log records it; the outbox never sees it.
    @Test func aTestSendReachesTheGatewayForAnAllowedRecipientOnly() async throws {
        let gateway = try TestServer("http_server.py", ["--esms"])
        var folder: URL?
        let router = try Self.router(edit: { dir in
            folder = dir
            try "k3y\n".write(to: dir.appendingPathComponent("esms.key"), atomically: true, encoding: .utf8)
            let url = dir.appendingPathComponent("config.json")
            var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            var senders = c["senders"] as! [String: Any]
            senders["esms"] = ["type": "sms-http", "url": "\(gateway.url)/send", "successPath": "CodeResult", "successValue": "100", "idPath": "SMSID",
                               "apiKey": ["file": "esms.key"],
                               "body": "{\"ApiKey\": {{{json.secrets.apiKey}}}, \"Phone\": {{{json.phoneLocal}}}, \"Content\": {{{json.text}}}}"]
            c["senders"] = senders
            c["channels"] = ["sms": "esms", "email": "console", "zalo": "console"]
            c["console"] = ["testRecipients": ["0912 000 999"], "testSendsPerMinute": 2]
            try JSONSerialization.data(withJSONObject: c, options: [.prettyPrinted]).write(to: url)
        })
        try await Application(router: router).test(.router) { client in
            let editor = try await Self.logIn(client, "lan", "mat-khau-lan")
            let csrf = try await client.execute(uri: "/console/jobs/payment-reminder/edit", method: .get, headers: editor) { r in
                #expect(Self.text(r.body).contains("<option>+84912000999</option>"))
                return try #require(Self.csrf(Self.text(r.body)))
            }
            let send = ["csrf": csrf, "variant": "1", "customer": "C001", "channel": "sms", "recipient": "+84912000999"]
            try await client.execute(uri: "/console/jobs/payment-reminder/test?lang=en", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(send)) { r in
                #expect(r.status == .ok && Self.text(r.body).contains("sent"), "\(Self.text(r.body).components(separatedBy: "id=\"test\"").last?.prefix(500) ?? "")")
            }
            var elsewhere = send
            elsewhere["recipient"] = "+84933333333"
            try await client.execute(uri: "/console/jobs/payment-reminder/test?lang=en", method: .post, headers: Self.form(editor),
                                     body: Self.encoded(elsewhere)) { r in
                #expect(r.status == .badRequest && Self.text(r.body).contains("is not in console.testRecipients"))
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/test", method: .post, headers: Self.form(editor), body: Self.encoded(send)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/console/jobs/payment-reminder/test", method: .post, headers: Self.form(editor), body: Self.encoded(send)) { r in
                #expect(r.status == .tooManyRequests, "2 a minute")
            }
            try await client.execute(uri: "/console/audit?lang=en", method: .get, headers: editor) { r in
                let rows = Self.rows(Self.text(r.body)).filter { $0.contains("| test send |") }
                #expect(rows.count == 2 && rows.allSatisfy { $0.contains("variant 1 for C001 by sms to +84912000999: sent") }, "\(rows)")
            }
        }
        let received = try gateway.requests()
        #expect(received.count == 2, "the refused and the limited sends reached nobody")
        let body = try #require(received.first?["body"] as? String)
        #expect(body.contains("\"Phone\": \"0912000999\"") && body.contains("Chi Lan oi, don D01"), "\(body)")
        let store = try Store(url: try #require(folder).appendingPathComponent("var/carecron.sqlite"))
        #expect(try Outbox(store: store).counts().isEmpty, "a test is not in the outbox: no cap, no metric counts it")
    }
}
