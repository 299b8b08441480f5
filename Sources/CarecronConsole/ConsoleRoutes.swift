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
        group.get("jobs/:name/edit") { request, context in
            guard let session = signedIn(context) else { return Response.redirect(to: "/console/login") }
            let name = try context.parameters.require("name")
            let (config, jobs) = await environment.current()
            let files = JobFiles(folder: config.jobsFolder)
            let language = Views.language(request)
            guard JobFiles.isValidName(name), let text = files.read(name) else {
                return views.page("not-found", ["what": name], language: language, session: session, status: .notFound)
            }
            var model = try await editor(config, jobs, language).model(name: name, text: text, base: JobFiles.fingerprint(text),
                                                                        now: environment.clock.now())
            if Self.parameters(request)["saved"] != nil { model["saved"] = true }
            return views.page("editor", model, language: language, session: session)
        }
        group.post("jobs/:name/check") { request, context in
            try await posted(request, context, editorsOnly: false) { session, form in
                let name = try context.parameters.require("name")
                let (config, jobs) = await environment.current()
                let language = Views.language(request)
                guard JobFiles.isValidName(name) else { return views.page("not-found", ["what": name], language: language, session: session, status: .notFound) }
                let model = try await editor(config, jobs, language).model(name: name, text: form["text"] ?? "", base: form["base"] ?? "",
                                                                            now: environment.clock.now())
                let fragment = Self.parameters(request)["fragment"] != nil
                return views.page(fragment ? "editor-results" : "editor", model, language: language, session: session,
                                  status: (model["valid"] as? Bool) == true ? .ok : .unprocessableContent)
            }
        }
        group.post("jobs/:name/save") { request, context in
            try await posted(request, context, editorsOnly: true) { session, form in
                try await save(request, context, session, text: form["text"] ?? "", base: form["base"] ?? "", action: "save")
            }
        }
        group.post("jobs/:name/restore") { request, context in
            try await posted(request, context, editorsOnly: true) { session, form in
                let name = try context.parameters.require("name")
                let (config, _) = await environment.current()
                let files = JobFiles(folder: config.jobsFolder)
                guard JobFiles.isValidName(name), let version = form["version"], let text = files.version(name, file: version) else {
                    return views.page("not-found", ["what": form["version"] ?? name], language: Views.language(request), session: session, status: .notFound)
                }
                return try await save(request, context, session, text: text, base: JobFiles.fingerprint(files.read(name) ?? ""),
                                      action: "revert", detail: "to \(version)")
            }
        }
        group.post("jobs/:name/test") { request, context in
            try await posted(request, context, editorsOnly: true) { session, form in
                try await testSend(request, context, session, form)
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
                "id": String(m.id), "job": m.job, "state": views.scheduleWords(language).state(m.state), "customerId": m.customerId ?? "",
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
        context.sessions.createSession(local)
        return local
    }

    /// Logs in: refused outright (429, Retry-After) once the user or the address has had its
    /// share of failures, else the password checked off the request threads; each failure logged.
    func login<Parent>(_ request: Request, _ context: ConsoleContext<Parent>) async throws -> Response {
        let form = try await Self.form(request)
        let language = Views.language(request)
        // A name longer than any user's is cut: it only keys the counts and the log lines.
        let user = String((form["user"] ?? "").prefix(128)), address = context.peer ?? "unknown"
        // Real time, not the console's clock: under `console --at` that one stands still.
        switch await logins.admit(user: user, address: address, now: Date()) {
        case .refused(let until, let first):
            if first {
                context.logger.warning("console logins refused: too many failures", metadata: [
                    "user": "\(user)", "address": "\(address)", "until": "\(ISO8601DateFormatter().string(from: until))"])
            }
            let minutes = max(1, Int((until.timeIntervalSinceNow / 60).rounded(.up)))
            var response = views.page("login", ["limited": views.scheduleWords(language).word("login_limited", ["minutes": String(minutes)]),
                                                "name": user], language: language, session: nil, status: .tooManyRequests)
            response.headers[.retryAfter] = String(max(1, Int(until.timeIntervalSinceNow.rounded(.up))))
            return response
        case .admitted:
            break
        }
        let role: ConsoleSettings.Role?
        do { role = try await users.verify(user: user, password: form["password"] ?? "") } catch {
            await logins.abandon(user: user, address: address)
            throw error
        }
        await logins.finish(user: user, address: address, succeeded: role != nil, now: Date())
        guard let role else {
            context.logger.notice("console login failed", metadata: ["user": "\(user)", "address": "\(address)"])
            return views.page("login", ["failed": true, "name": user], language: language, session: nil, status: .unauthorized)
        }
        context.sessions.createSession(ConsoleSession(user: user, role: role.rawValue, csrf: Self.token()))
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
            return views.refusal("refused_csrf", language: language, session: session, status: .forbidden)
        }
        guard !editorsOnly || session.role == ConsoleSettings.Role.editor.rawValue else {
            return views.refusal("refused_role", language: language, session: session, status: .forbidden)
        }
        return try await body(session, form)
    }

    func editor(_ config: ShopConfig, _ jobs: [JobDefinition], _ language: Views.Language) -> EditorPage {
        EditorPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language), files: JobFiles(folder: config.jobsFolder))
    }

    /// Saves a job file: only a valid one, only over the version the editor opened (a file
    /// changed on disk meanwhile is shown, not overwritten), the old one kept in the history;
    /// then the service reloads and the audit log says who did it.
    func save<Parent>(_ request: Request, _ context: ConsoleContext<Parent>, _ session: ConsoleSession, text: String, base: String,
                      action: String, detail: String = "") async throws -> Response {
        let name = try context.parameters.require("name")
        let (config, jobs) = await environment.current()
        let language = Views.language(request)
        let files = JobFiles(folder: config.jobsFolder)
        guard JobFiles.isValidName(name), let current = files.read(name) else {
            return views.page("not-found", ["what": name], language: language, session: session, status: .notFound)
        }
        let now = environment.clock.now()
        func conflict(_ current: String) async throws -> Response {
            var model = try await editor(config, jobs, language).model(name: name, text: current, base: JobFiles.fingerprint(current), now: now)
            model["conflict"] = true
            return views.page("editor", model, language: language, session: session, status: .conflict)
        }
        guard JobFiles.fingerprint(current) == base else { return try await conflict(current) }
        guard JobLoader.check(text: text, name: name, config: config).job != nil else {
            var model = try await editor(config, jobs, language).model(name: name, text: text, base: base, now: now)
            model["invalid"] = true
            return views.page("editor", model, language: language, session: session, status: .unprocessableContent)
        }
        // The check above read the file without a lock: the save itself compares again, under one.
        let previous: String
        switch try await files.save(name, text: text, over: base, user: session.user, at: now) {
        case .saved(let replaced): previous = replaced
        case .changed(let newer): return try await conflict(newer)
        case .missing: return views.page("not-found", ["what": name], language: language, session: session, status: .notFound)
        }
        let changed = Self.changedLines(previous, text)
        try await audit(session, action, "jobs/\(name).json", detail.isEmpty ? "\(changed) line(s) changed" : detail)
        await environment.reload()
        return Response.redirect(to: "/console/jobs/\(name)/edit?saved=1&lang=\(language.rawValue)")
    }

    /// Sends one variant for one customer to an allowed test recipient, and shows the outcome
    /// on the editor page.
    func testSend<Parent>(_ request: Request, _ context: ConsoleContext<Parent>, _ session: ConsoleSession,
                          _ form: [String: String]) async throws -> Response {
        let name = try context.parameters.require("name")
        let (config, jobs) = await environment.current()
        let language = Views.language(request)
        let files = JobFiles(folder: config.jobsFolder)
        guard JobFiles.isValidName(name), let job = jobs.first(where: { $0.name == name }), let text = files.read(name) else {
            return views.page("not-found", ["what": name], language: language, session: session, status: .notFound)
        }
        let now = environment.clock.now()
        var model = try await editor(config, jobs, language).model(name: name, text: text, base: JobFiles.fingerprint(text), now: now)
        let status: HTTPResponse.Status
        do {
            let variant = (form["variant"].flatMap { Int($0) } ?? 1) - 1
            let channel = form["channel"].flatMap(ChannelKind.init(rawValue:)) ?? job.channels[0]
            let customer = form["customer"] ?? "", recipient = form["recipient"] ?? ""
            let perMinute = config.console.testSendsPerMinute
            let (rendering, outcome) = try await TestSend(config: config, store: environment.store)
                .send(job: job, variant: variant, customerId: customer, channel: channel, recipient: recipient, now: now) {
                    await testSends.allow(session.user, now: now, perMinute: perMinute)
                }
            let detail = "variant \(variant + 1) for \(customer) by \(channel.rawValue) to \(rendering.to): \(outcome)"
            try await audit(session, "test send", "jobs/\(name).json", detail)
            model["testResult"] = "\(outcome)"
            model["testMessage"] = MessageView.model(rendering)
            if case .sent = outcome { model["testSent"] = true }
            status = .ok
        } catch let refusal as TestSend.Refusal {
            model["testResult"] = refusal.reason
            status = .badRequest
        } catch is TestSend.Limited {
            model["testResult"] = "\(config.console.testSendsPerMinute)/min"
            model["testLimited"] = true
            status = .tooManyRequests
        }
        return views.page("editor", model, language: language, session: session, status: status)
    }

    /// Lines that differ between two versions, position by position (for the audit log).
    static func changedLines(_ a: String, _ b: String) -> Int {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false)
        let differing: Int = zip(x, y).filter { pair in pair.0 != pair.1 }.count
        return differing + abs(x.count - y.count)
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
