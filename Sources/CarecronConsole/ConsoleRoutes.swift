import CarecronConfig
import CarecronDomain
import CarecronStore
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
    let sessions: MemoryPersistDriver<ContinuousClock>

    public init(environment: ConsoleEnvironment, users: ConsoleUsers, views: Views) {
        self.environment = environment
        self.users = users
        self.views = views
        self.sessions = MemoryPersistDriver()
    }

    /// Adds the console under `/console` to a router whose context is `Parent`.
    public func mount<Parent: RequestContext>(on router: some RouterMethods<Parent>) {
        let group = router.group("console", context: ConsoleContext<Parent>.self)
        group.add(middleware: SessionMiddleware(
            storage: sessions,
            configuration: .init(sessionCookieParameters: .init(name: "carecron_console", path: "/console",
                                                                secure: environment.secureCookies, sameSite: .strict),
                                 defaultSessionExpiration: .seconds(8 * 3600))))
        group.get("static/console.css") { _, _ in
            var r = Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: views.stylesheet)))
            Views.secure(&r.headers)
            return r
        }
        group.get("login") { request, context in
            if users.isEmpty { return Response.redirect(to: "/console/plan") }
            return views.page("login", [:], language: Views.language(request), session: context.session)
        }
        group.post("login") { request, context in try await login(request, context) }
        group.post("logout") { request, context in
            try await posted(request, context, editorsOnly: false) { _, _ in
                context.sessions.clearSession()
                return Response.redirect(to: "/console/login")
            }
        }
        group.get("outbox") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let (config, _) = await environment.current()
            let language = Views.language(request)
            let model = try await OutboxPage(store: environment.store, words: views.scheduleWords(language), clock: config.clock)
                .model(state: Self.parameters(request)["state"])
            return views.page("outbox", model, language: language, session: session)
        }
        group.post("outbox/:id/retry") { request, context in
            try await posted(request, context, editorsOnly: true) { session, _ in
                let id = try context.parameters.require("id", as: Int64.self)
                let n = try await environment.store.outbox.retry(ids: [id], now: environment.clock.now())
                try await audit(session, n > 0 ? "retry" : "retry refused", "outbox \(id)")
                return Response.redirect(to: "/console/outbox")
            }
        }
        group.post("outbox/:id/drop") { request, context in
            try await posted(request, context, editorsOnly: true) { session, _ in
                let id = try context.parameters.require("id", as: Int64.self)
                let dropped = try await environment.store.outbox.drop(id, now: environment.clock.now())
                try await audit(session, dropped ? "drop" : "drop refused", "outbox \(id)")
                return Response.redirect(to: "/console/outbox")
            }
        }
        group.get("audit") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let (config, _) = await environment.current()
            let language = Views.language(request)
            let words = views.scheduleWords(language)
            let entries = try await environment.store.recent(limit: 500).map { e in
                ["at": words.instant(e.at, clock: config.clock), "user": e.user, "action": e.action, "subject": e.subject, "detail": e.detail]
            }
            return views.page("audit", ["entries": entries], language: language, session: session)
        }
        group.get("") { _, _ in Response.redirect(to: "/console/plan") }
        group.get("plan") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let (config, jobs) = await environment.current()
            let today = config.clock.localDate(of: environment.clock.now())
            let query = PlanPage.Query(Self.parameters(request), today: today)
            let model = try await PlanPage(config: config, jobs: jobs, store: environment.store).model(query)
            return views.page("plan", model, language: Views.language(request), session: session)
        }
        group.get("customers/:id") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let id = try context.parameters.require("id")
            let (config, jobs) = await environment.current()
            let language = Views.language(request)
            let page = CustomerPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
            guard let model = try await page.model(id: id, today: config.clock.localDate(of: environment.clock.now())) else {
                return views.page("not-found", ["what": id], language: language, session: session, status: .notFound)
            }
            return views.page("customer", model, language: language, session: session)
        }
        group.get("plan/message") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let (config, jobs) = await environment.current()
            let language = Views.language(request)
            let parameters = Self.parameters(request)
            let query = PlanPage.Query(parameters, today: config.clock.localDate(of: environment.clock.now()))
            let page = PlanPage(config: config, jobs: jobs, store: environment.store)
            guard let key = parameters["key"], let model = try await page.message(key: key, query) else {
                return views.page("not-found", ["what": parameters["key"] ?? ""], language: language, session: session, status: .notFound)
            }
            return views.page("planned-message", model, language: language, session: session)
        }
        group.get("outbox/:id") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let language = Views.language(request)
            guard let id = Int64(try context.parameters.require("id")), let m = try await environment.store.outbox.message(id) else {
                return views.page("not-found", ["what": try context.parameters.require("id")], language: language, session: session, status: .notFound)
            }
            let model: [String: Any] = [
                "id": String(m.id), "job": m.job, "state": m.state.rawValue, "customerId": m.customerId ?? "",
                "orders": m.orderIds.joined(separator: ", "), "attempts": m.attempts, "provider": m.providerMessageId ?? "",
                "error": m.lastError ?? "", "renderings": ([m.rendering] + m.fallbacks).map(MessageView.model),
            ]
            return views.page("outbox-message", model, language: language, session: session)
        }
        group.get("jobs") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let (config, jobs) = await environment.current()
            let language = Views.language(request)
            let page = JobsPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
            return views.page("jobs", try await page.model(now: environment.clock.now()), language: language, session: session)
        }
    }

    /// The session of a logged-in user; with no user configured (a loopback-only console) every
    /// visitor is the local editor.
    func signedIn<Parent>(_ context: ConsoleContext<Parent>) -> ConsoleSession? {
        if let session = context.session { return session }
        guard users.isEmpty else { return nil }
        let local = ConsoleSession(user: "local", role: ConsoleSettings.Role.editor.rawValue, csrf: Self.token())
        context.sessions.setSession(local)
        return local
    }

    func login<Parent>(_ request: Request, _ context: ConsoleContext<Parent>) async throws -> Response {
        let form = try await Self.form(request)
        let language = Views.language(request)
        guard let user = form["user"], let password = form["password"],
              let role = users.verify(user: user, password: password) else {
            return views.page("login", ["failed": true, "name": form["user"] ?? ""], language: language, session: nil, status: .unauthorized)
        }
        context.sessions.setSession(ConsoleSession(user: user, role: role.rawValue, csrf: Self.token()))
        return Response.redirect(to: "/console/plan")
    }

    /// A form post: from a signed-in user, carrying the session's token (a form without it did
    /// not come from the console's own page), and from an editor where the action changes things.
    func posted<Parent>(_ request: Request, _ context: ConsoleContext<Parent>, editorsOnly: Bool,
                        _ body: (ConsoleSession, [String: String]) async throws -> Response) async throws -> Response {
        guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
        let language = Views.language(request)
        let form = try await Self.form(request)
        guard let token = form["csrf"], Self.same(token, session.csrf) else {
            return views.page("refused", ["csrf": true], language: language, session: session, status: .forbidden)
        }
        guard !editorsOnly || session.role == ConsoleSettings.Role.editor.rawValue else {
            return views.page("refused", ["role": true], language: language, session: session, status: .forbidden)
        }
        return try await body(session, form)
    }

    func audit(_ session: ConsoleSession, _ action: String, _ subject: String, _ detail: String = "") async throws {
        try await environment.store.record(AuditEntry(at: environment.clock.now(), user: session.user, action: action, subject: subject, detail: detail))
    }

    static func token() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func parameters(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k)] = String(v) }
        return out
    }

    /// A URL-encoded form body (at most 64 KB).
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 64 * 1024)
        return try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body))
    }
}
