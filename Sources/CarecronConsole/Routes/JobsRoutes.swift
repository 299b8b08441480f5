import CarecronConfig
import CarecronDomain
import Foundation
import HTTPTypes
import Hummingbird

/// The jobs at a glance, and the editor of one job file: checking a text (any signed-in user),
/// saving it, restoring an old version and sending a test (editors).
struct JobsRoutes<Parent: RequestContext> {
    let console: Console
    var environment: ConsoleEnvironment { console.environment }
    var views: Views { console.views }

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        routes.get("jobs") { request, context in
            let (config, jobs) = await environment.current()
            let language = Views.language(request)
            let page = JobsPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
            return views.page("jobs", try await page.model(now: environment.clock.now()), language: language, session: try context.signedIn)
        }
        routes.get("jobs/:name/edit") { request, context in
            let name = try context.parameters.require("name")
            let (config, jobs) = await environment.current()
            let language = Views.language(request), session = try context.signedIn
            guard JobFiles.isValidName(name), let text = JobFiles(folder: config.jobsFolder).read(name) else {
                return console.notFound(name, language, session)
            }
            var model = try await editor(config, jobs, language).model(name: name, text: text, base: JobFiles.fingerprint(text),
                                                                        now: environment.clock.now())
            if Console.parameters(request)["saved"] != nil { model.saved = true }
            return views.page("editor", model, language: language, session: session)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.post("jobs/:name/check") { request, context in
            let name = try context.parameters.require("name")
            let (config, jobs) = await environment.current()
            let language = Views.language(request), session = try context.signedIn, form = context.form
            guard JobFiles.isValidName(name) else { return console.notFound(name, language, session) }
            let model = try await editor(config, jobs, language).model(name: name, text: form["text"] ?? "", base: form["base"] ?? "",
                                                                        now: environment.clock.now())
            let fragment = Console.parameters(request)["fragment"] != nil
            return views.page(fragment ? "editor-results" : "editor", model, language: language, session: session,
                              status: model.valid ? .ok : .unprocessableContent)
        }
        routes.add(middleware: EditorsOnly<Parent>(views: views))
        routes.post("jobs/:name/save") { request, context in
            try await save(request, context, text: context.form["text"] ?? "", base: context.form["base"] ?? "", action: "save")
        }
        routes.post("jobs/:name/restore") { request, context in
            let name = try context.parameters.require("name")
            let (config, _) = await environment.current()
            let files = JobFiles(folder: config.jobsFolder), form = context.form
            guard JobFiles.isValidName(name), let version = form["version"], let text = files.version(name, file: version) else {
                return console.notFound(form["version"] ?? name, Views.language(request), try context.signedIn)
            }
            return try await save(request, context, text: text, base: JobFiles.fingerprint(files.read(name) ?? ""),
                                  action: "revert", detail: Sentence("audit.restored_from", ["at": .text(version)]))
        }
        routes.post("jobs/:name/test") { request, context in try await testSend(request, context) }
        return routes
    }

    func editor(_ config: ShopConfig, _ jobs: [JobDefinition], _ language: Views.Language) -> EditorPage {
        EditorPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language), files: JobFiles(folder: config.jobsFolder))
    }

    /// Saves a job file: only a valid one, only over the version the editor opened (a file
    /// changed on disk meanwhile is shown, not overwritten), the old one kept in the history;
    /// then the service reloads and the audit log says who did it.
    /// `page`: where a saved file is shown again (the JSON editor, or the form).
    func save(_ request: Request, _ context: ConsoleContext<Parent>, text posted: String, base: String, action: String,
              detail: Sentence? = nil, page: String = "edit") async throws -> Response {
        let name = try context.parameters.require("name")
        // A browser posts a textarea with CRLF line endings (HTML's rule): a file keeps LF, so
        // a two-line edit is a two-line change.
        let text = posted.replacingOccurrences(of: "\r\n", with: "\n")
        let (config, jobs) = await environment.current()
        let language = Views.language(request), session = try context.signedIn
        let files = JobFiles(folder: config.jobsFolder)
        guard JobFiles.isValidName(name), let current = files.read(name) else { return console.notFound(name, language, session) }
        let now = environment.clock.now()
        func conflict(_ current: String) async throws -> Response {
            var model = try await editor(config, jobs, language).model(name: name, text: current, base: JobFiles.fingerprint(current), now: now)
            model.conflict = true
            return views.page("editor", model, language: language, session: session, status: .conflict)
        }
        guard JobFiles.fingerprint(current) == base else { return try await conflict(current) }
        guard JobLoader.check(text: text, name: name, config: config).job != nil else {
            var model = try await editor(config, jobs, language).model(name: name, text: text, base: base, now: now)
            model.invalid = true
            return views.page("editor", model, language: language, session: session, status: .unprocessableContent)
        }
        // The check above read the file without a lock: the save itself compares again, under one.
        let previous: String
        switch try await files.save(name, text: text, over: base, user: session.user, at: now) {
        case .saved(let replaced): previous = replaced
        case .changed(let newer): return try await conflict(newer)
        case .missing: return console.notFound(name, language, session)
        }
        let changed = Console.changedLines(previous, text)
        try await console.audit(session, action, "jobs/\(name).json", detail ?? Sentence("audit.lines_changed", ["n": .number(changed)]))
        await environment.reload()
        return Response.redirect(to: "/console/jobs/\(name)/\(page)?saved=1&lang=\(language.rawValue)")
    }

    /// Sends one variant for one customer to an allowed test recipient, and shows the outcome
    /// on the editor page.
    func testSend(_ request: Request, _ context: ConsoleContext<Parent>) async throws -> Response {
        let name = try context.parameters.require("name")
        let (config, jobs) = await environment.current()
        let language = Views.language(request), session = try context.signedIn, form = context.form
        let files = JobFiles(folder: config.jobsFolder)
        guard JobFiles.isValidName(name), let job = jobs.first(where: { $0.name == name }), let text = files.read(name) else {
            return console.notFound(name, language, session)
        }
        let now = environment.clock.now()
        var model = try await editor(config, jobs, language).model(name: name, text: text, base: JobFiles.fingerprint(text), now: now)
        let status: HTTPResponse.Status
        do {
            // A variant outside the job's is refused by the test itself; the bounds keep the arithmetic safe.
            let variant = form["variant"].flatMap { Int($0) }.map { min(max($0, 0), 1000) - 1 }
            let channel = form["channel"].flatMap(ChannelKind.init(rawValue:)) ?? job.channels[0]
            let customer = form["customer"] ?? "", recipient = form["recipient"] ?? ""
            let perMinute = config.console.testSendsPerMinute
            let limiter = console.testSends
            let (rendering, outcome, plan) = try await TestSend(config: config, store: environment.store)
                .send(job: job, jobs: jobs, variant: variant, customerId: customer, channel: channel, recipient: recipient, now: now) {
                    await limiter.allow(session.user, now: now, perMinute: perMinute)
                }
            let detail = Sentence("test.detail", ["variant": .number(plan.variant + 1), "customer": .text(customer), "channel": .text(channel.rawValue),
                                                  "to": .text(rendering.to), "outcome": .sentences([outcome.sentence])])
            try await console.audit(session, "test send", "jobs/\(name).json", detail)
            model.testResult = views.scheduleWords(language).say(outcome.sentence)
            model.testMessage = MessageView(rendering)
            let words = views.scheduleWords(language)
            model.testComposition = plan.planned
                ? words.word("test_as_planned", ["at": words.instant(plan.at, clock: config.clock), "orders": plan.orders.map(\.id).joined(separator: ", "),
                                                 "variant": String(plan.variant + 1)])
                : words.word("test_not_planned")
            if case .sent = outcome { model.testSent = true }
            status = .ok
        } catch let refusal as TestSend.Refusal {
            model.testResult = views.scheduleWords(language).say(refusal.reason)
            status = .badRequest
        } catch is TestSend.Limited {
            model.testResult = "\(config.console.testSendsPerMinute)/min"
            model.testLimited = true
            status = .tooManyRequests
        }
        return views.page("editor", model, language: language, session: session, status: status)
    }
}
