import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth

/// The console's routes, mounted under `/console` on any router (the API's server, or the
/// standalone `carecron console`).
public struct Console: Sendable {
    let environment: ConsoleEnvironment
    let users: ConsoleUsers
    let views: Views
    let hosts: ConsoleHosts
    let sessions: MemoryPersistDriver<ContinuousClock>
    let testSends = TestSendLimiter()
    let logins = LoginThrottle()

    public init(environment: ConsoleEnvironment, users: ConsoleUsers, views: Views, hosts: ConsoleHosts) {
        self.environment = environment
        self.users = users
        self.views = views
        self.hosts = hosts
        self.sessions = MemoryPersistDriver()
    }

    /// Adds the console under `/console` to a router whose context is `Parent`.
    public func mount<Parent: RequestContext>(on router: some RouterMethods<Parent>) {
        let group = router.group("console", context: ConsoleContext<Parent>.self)
        // The stylesheet and script are the same for everyone and hold nothing: served under any
        // name, so that a refusal page shows styled.
        group.get("static/console.css") { _, _ in views.asset(views.stylesheet, type: "text/css; charset=utf-8") }
        group.get("static/console.js") { _, _ in views.asset(views.script, type: "text/javascript; charset=utf-8") }
        group.add(middleware: SameOriginGuard(hosts: hosts, views: views))
        if users.isClosed {
            // Every other page says why it is closed; no route that could sign anyone in exists.
            let closed: @Sendable (Request, ConsoleContext<Parent>) async throws -> Response = { request, _ in
                views.refusal("console_closed", title: "console_closed_title", language: Views.language(request), status: .serviceUnavailable)
            }
            for path in ["", "**"] {
                group.get(RouterPath(path), use: closed)
                group.post(RouterPath(path), use: closed)
            }
            return
        }
        group.add(middleware: SessionMiddleware(
            storage: sessions,
            configuration: .init(sessionCookieParameters: .init(name: "carecron_console", path: "/console",
                                                                secure: environment.secureCookies, sameSite: .strict),
                                 defaultSessionExpiration: .seconds(8 * 3600))))
        group.get("") { request, context in
            Console.redirect(to: context.session?.role == .agent ? "/console/calls" : "/console/plan", keeping: request)
        }
        // One collection per page; each puts its pages behind `SignedIn` and its forms behind
        // `PostedForm` with the role they need.
        group.addRoutes(LoginRoutes<Parent>(console: self).routes)
        group.addRoutes(PlanRoutes<Parent>(console: self).routes)
        group.addRoutes(CustomerRoutes<Parent>(console: self).routes)
        group.addRoutes(JobsRoutes<Parent>(console: self).routes)
        group.addRoutes(JobFormRoutes<Parent>(console: self).routes)
        group.addRoutes(OutboxRoutes<Parent>(console: self).routes)
        group.addRoutes(CampaignRoutes<Parent>(console: self).routes)
        group.addRoutes(AuditRoutes<Parent>(console: self).routes)
        group.addRoutes(ReplyRoutes<Parent>(console: self).routes)
        group.addRoutes(CallRoutes<Parent>(console: self).routes)
        group.addRoutes(ConversationRoutes<Parent>(console: self).routes)
        group.addRoutes(ResultsRoutes<Parent>(console: self).routes)
    }

    /// A new collection's start: its pages for signed-in users.
    func signedInRoutes<Parent>(_ parent: Parent.Type) -> RouteCollection<ConsoleContext<Parent>> {
        RouteCollection(context: ConsoleContext<Parent>.self).add(middleware: SignedIn<Parent>(users: users))
    }

    /// A redirect that keeps the language the request asked for with `?lang=` (a page in English
    /// stays in English after a login, a retry or a drop).
    static func redirect(to path: String, keeping request: Request) -> Response {
        guard let asked = request.uri.queryParameters.get("lang"), let language = Views.Language(rawValue: asked) else {
            return Response.redirect(to: path)
        }
        return Response.redirect(to: path + (path.contains("?") ? "&" : "?") + "lang=\(language.rawValue)")
    }

    /// The page that says what was asked for does not exist.
    func notFound(_ what: String, _ language: Views.Language, _ session: ConsoleSession?) -> Response {
        views.page("not-found", NotFoundModel(what: what), language: language, session: session, status: .notFound)
    }

    /// Lines that differ between two versions, position by position (for the audit log).
    static func changedLines(_ a: String, _ b: String) -> Int {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        let differing: Int = zip(x, y).filter { pair in pair.0 != pair.1 }.count
        return differing + abs(x.count - y.count)
    }

    /// Records what a user did; the detail is kept as its catalogue sentence, said in the
    /// language of whoever reads the log.
    func audit(_ session: ConsoleSession, _ action: String, _ subject: String, _ detail: Sentence? = nil) async throws {
        try await environment.store.record(AuditEntry(at: environment.clock.now(), user: session.user, action: action, subject: subject,
                                                      detail: detail?.stored ?? ""))
    }

    static func token() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The query's parameters as a browser's GET form sends them: `+` is a space there (a
    /// searched name "pham+thu+ha"), `%2B` a plus (a phone "+84…").
    static func parameters(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            guard let key = parts.first else { continue }
            out[decoded(key)] = parts.count > 1 ? decoded(parts[1]) : ""
        }
        return out
    }

    /// A URL-encoded form body (at most 64 KB).
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 64 * 1024)
        return try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body))
    }
}
