import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Testing

/// Issue 26, item 5: the page's language is kept across every redirect and the login.
@Suite("The console keeps its language")
struct ConsoleLanguageTests {
    @Test func everyRedirectKeepsTheLanguageAskedFor() async throws {
        try await Application(router: try ConsoleRouteTests.router()).test(.router) { client in
            func location(_ uri: String, _ method: HTTPRequest.Method = .get, headers: HTTPFields = [:], body: String = "") async throws -> String? {
                try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .seeOther, "\(uri)")
                    return r.headers[.location]
                }
            }
            #expect(try await location("/console/plan?lang=en") == "/console/login?lang=en", "signing in keeps it")
            #expect(try await location("/console?lang=en") == "/console/plan?lang=en")
            #expect(try await location("/console/login?lang=en", .post, headers: ConsoleRouteTests.posting,
                                       body: "user=lan&password=mat-khau-lan") == "/console/plan?lang=en", "so does the login")
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let page = try await client.execute(uri: "/console/outbox?lang=en", method: .get, headers: editor) { r in ConsoleRouteTests.text(r.body) }
            let csrf = try #require(ConsoleRouteTests.csrf(page))
            #expect(page.contains("action=\"/console/logout?lang=en\""), "the logout form asks in the page's language")
            #expect(try await location("/console/outbox/1/retry?lang=en", .post, headers: ConsoleRouteTests.form(editor),
                                       body: "csrf=\(csrf)")?.hasSuffix("&lang=en") == true, "a retry comes back in English")
            #expect(try await location("/console/outbox/1/drop?lang=vi", .post, headers: ConsoleRouteTests.form(editor),
                                       body: "csrf=\(csrf)")?.hasSuffix("&lang=vi") == true)
            #expect(try await location("/console/outbox/1/retry", .post, headers: ConsoleRouteTests.form(editor),
                                       body: "csrf=\(csrf)")?.contains("lang=") == false, "no language asked: the browser's stays")
            #expect(try await location("/console/logout?lang=en", .post, headers: ConsoleRouteTests.form(editor),
                                       body: "csrf=\(csrf)") == "/console/login?lang=en")
        }
    }

    /// A birthday and the plan's span read as a Vietnamese reader writes dates, day first.
    @Test func datesReadDayFirst() async throws {
        try await Application(router: try ConsoleRouteTests.router()).test(.router) { client in
            let editor = try await ConsoleRouteTests.logIn(client, "lan", "mat-khau-lan")
            let customer = try await client.execute(uri: "/console/customers/C001", method: .get, headers: editor) { r in ConsoleRouteTests.text(r.body) }
            #expect(customer.contains("<dd>01/12</dd>") && !customer.contains("12-01"), "her birthday is the 1st of December")
            let plan = try await client.execute(uri: "/console/plan?from=2026-12-01&days=2", method: .get, headers: editor) { r in ConsoleRouteTests.text(r.body) }
            #expect(plan.contains("01/12/2026 – 02/12/2026"))
        }
    }
}
