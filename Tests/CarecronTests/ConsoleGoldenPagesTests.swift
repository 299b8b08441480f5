import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Testing

/// Every console page, byte for byte, against the pages as last accepted: the same HTML with the
/// same stylesheet is the same picture. Written first by the console as it was before its routes
/// became collections (issue 25, e7b98e0), so that refactor changed no byte; since then rewritten
/// only for changes of the pages meant as such (issue 26: forms and links keep `?lang=`). The pages
/// live in Tests/golden/console; `CARECRON_WRITE_GOLDEN=1 swift test --filter ConsoleGoldenPages`
/// writes them anew, and `git diff Tests/golden` shows exactly what changed.
@Suite("Console pages, byte for byte")
struct ConsoleGoldenPagesTests {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/golden/console")

    /// The session's random tokens, the only bytes that differ from one run to the next.
    static func masked(_ page: String) -> String {
        page.replacingOccurrences(of: "[0-9a-f]{64}", with: "TOKEN", options: .regularExpression)
    }

    @Test func theJobsPageWithABrokenFileIsTheSameAsBefore() async throws {
        let router = try ConsoleRouteTests.router(edit: { dir in
            let file = dir.appendingPathComponent("jobs/post-sale-checkin.json")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"0 10 * * *\"", with: "\"0 25 * * *\"")
            try text.write(to: file, atomically: true, encoding: .utf8)
        })
        let page = try await Application(router: router).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            return try await client.execute(uri: "/console/jobs?lang=en", method: .get, headers: editor) { r in
                "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
            }
        }
        try Self.compare([("jobs-broken-en", page)])
    }

    /// Writes the pages (`CARECRON_WRITE_GOLDEN=1`) or compares them with the golden copies.
    static func compare(_ pages: [(String, String)]) throws {
        let write = ProcessInfo.processInfo.environment["CARECRON_WRITE_GOLDEN"] == "1"
        if write { try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true) }
        for (name, page) in pages {
            let file = Self.folder.appendingPathComponent("\(name).html")
            let got = Self.masked(page)
            if write { try got.write(to: file, atomically: true, encoding: .utf8); continue }
            let expected = try String(contentsOf: file, encoding: .utf8)
            if got != expected {
                let a = expected.split(separator: "\n", omittingEmptySubsequences: false), b = got.split(separator: "\n", omittingEmptySubsequences: false)
                let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }.map(\.offset) ?? min(a.count, b.count)
                Issue.record("\(name): differs from \(file.lastPathComponent) at line \(line + 1):\n- \(line < a.count ? a[line] : "")\n+ \(line < b.count ? b[line] : "")")
            }
        }
    }

    @Test func everyPageIsTheSameAsBefore() async throws {
        var storeURL: URL?
        let router = try ConsoleRouteTests.router(edit: { storeURL = $0.appendingPathComponent("var/carecron.sqlite") })
        let store = try Store(url: try #require(storeURL))
        let now = TestSupport.instant("2026-11-30T10:00:00+07:00")
        let rendering = [Rendering(channel: "sms", to: "+84912345678", subject: nil, text: "tin", params: [:], templateId: nil)]
        for key in ["k:1", "k:2"] {
            try Outbox(store: store).enqueue(keys: [key], job: "payment-reminder", customerId: "C001", orderIds: ["D01"], reminder: 1,
                                             renderings: rendering, dueAt: now, now: now)
        }
        for m in try Outbox(store: store).claimDue(now: now, limit: 1) { try Outbox(store: store).markDead(m.id, error: "provider refused", now: now) }
        try store.record(AuditEntry(at: now, user: "lan", action: "save", subject: "jobs/birthday.json", detail: "2 line(s) changed"))

        let gets = [
            ("login", "/console/login", false), ("login-en", "/console/login?lang=en", false),
            ("plan", "/console/plan?from=2026-12-01&days=1", true), ("plan-en-job", "/console/plan?from=2026-12-01&days=2&job=birthday&lang=en", true),
            ("plan-message", "/console/plan/message?key=payment-reminder:D01:1&from=2026-12-01&days=1", true),
            ("plan-message-missing", "/console/plan/message?key=nothing:1&from=2026-12-01&days=1&lang=en", true),
            ("customer", "/console/customers/C011", true), ("customer-en", "/console/customers/C011?lang=en", true),
            ("customer-missing", "/console/customers/NOBODY", true),
            ("jobs", "/console/jobs", true), ("jobs-en", "/console/jobs?lang=en", true),
            ("editor", "/console/jobs/payment-reminder/edit", true), ("editor-campaign-en", "/console/jobs/tet-greeting/edit?lang=en", true),
            ("editor-missing", "/console/jobs/nothing/edit", true),
            ("outbox", "/console/outbox", true), ("outbox-dead-en", "/console/outbox?state=dead&lang=en", true),
            ("outbox-message", "/console/outbox/1", true), ("outbox-message-missing", "/console/outbox/99", true),
            ("audit", "/console/audit", true),
        ]
        let pages = try await Application(router: router).test(.router) { client in
            var pages: [(String, String)] = []
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            for (name, uri, signedIn) in gets {
                let page = try await client.execute(uri: uri, method: .get, headers: signedIn ? editor : [:]) { r in
                    "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
                }
                pages.append((name, page))
            }
            let csrf = try #require(pages.first { $0.0 == "editor" }.flatMap { ConsoleRouteTests.csrf($0.1) })
            let text = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/payment-reminder.json"), encoding: .utf8)
            let posts = [
                ("check-broken", "/console/jobs/payment-reminder/check", ["csrf": csrf, "text": "{\"type\": \"payment-reminder\"", "base": "x"]),
                ("check-fragment-en", "/console/jobs/payment-reminder/check?fragment=1&lang=en",
                 ["csrf": csrf, "text": text.replacingOccurrences(of: "oi,", with: "oi oi,"), "base": "x"]),
                ("refused-csrf", "/console/outbox/1/retry", ["csrf": "forged"]),
                ("test-send-refused-en", "/console/jobs/payment-reminder/test?lang=en",
                 ["csrf": csrf, "variant": "1", "customer": "C001", "channel": "sms", "recipient": "0999 999 999"]),
            ]
            for (name, uri, fields) in posts {
                let page = try await client.execute(uri: uri, method: .post, headers: ConsoleRouteTests.form(editor),
                                                    body: ConsoleRouteTests.encoded(fields)) { r in
                    "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
                }
                pages.append((name, page))
            }
            // The editor's other states: saved, a save over a stale version, an invalid text.
            let base = try #require(pages.first { $0.0 == "editor" }.flatMap { ConsoleRouteTests.hidden($0.1, "base") })
            for (name, uri, fields) in [
                ("save-conflict", "/console/jobs/payment-reminder/save", ["csrf": csrf, "text": text, "base": "stale"]),
                ("save-invalid-en", "/console/jobs/payment-reminder/save?lang=en", ["csrf": csrf, "text": "{", "base": base]),
            ] {
                let page = try await client.execute(uri: uri, method: .post, headers: ConsoleRouteTests.form(editor),
                                                    body: ConsoleRouteTests.encoded(fields)) { r in
                    "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
                }
                pages.append((name, page))
            }
            pages.append(("editor-saved", try await client.execute(uri: "/console/jobs/birthday/edit?saved=1", method: .get, headers: editor) { r in
                "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
            }))
            // A viewer: the pages without editing, and an editor's action refused.
            let viewer = try await ConsoleRouteTests.logIn(client, "minh", "mat-khau-minh")
            pages.append(("outbox-viewer", try await client.execute(uri: "/console/outbox", method: .get, headers: viewer) { r in
                "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
            }))
            let viewerCSRF = try #require(ConsoleRouteTests.csrf(pages.last!.1))
            pages.append(("refused-role", try await client.execute(uri: "/console/outbox/1/retry", method: .post, headers: ConsoleRouteTests.form(viewer),
                                                                   body: ConsoleRouteTests.encoded(["csrf": viewerCSRF])) { r in
                "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
            }))
            // A wrong password.
            pages.append(("login-failed", try await client.execute(uri: "/console/login", method: .post, headers: ConsoleRouteTests.posting,
                                                                   body: ByteBuffer(string: "user=lan&password=wrong")) { r in
                "\(r.status.code)\n" + ConsoleRouteTests.text(r.body)
            }))
            return pages
        }
        try Self.compare(pages)
        #expect(pages.count == gets.count + 10)
    }
}
