import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// *Cuộc gọi hôm nay*: an agent sees their own list and records what each call gave; an editor
/// sees anyone's, records for them, and marks an agent away (their open calls go to the others).
struct CallRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("calls") { request, context in
            let session = try context.signedIn
            let (config, jobs) = await environment.current()
            let language = Views.language(request), words = views.scheduleWords(language)
            let parameters = Console.parameters(request)
            let now = environment.clock.now()
            let day = parameters["date"].flatMap { LocalDate(iso: $0) } ?? config.clock.localDate(of: now)
            let roster = config.console.roster
            let agent = session.role == .agent ? roster.agent(session.user) : parameters["agent"].flatMap(roster.agent) ?? roster.agents.first
            var model = try await CallsPage(store: environment.store, config: config, jobs: jobs, words: words)
                .model(agent: agent, day: day, now: now, session: session)
            if let done = parameters["done"] {
                model.done = words.word("calls_done_\(done)", ["name": parameters["name"] ?? ""])
                model.doneFailed = done == "refused" ? true : nil
            }
            return views.page("calls", model, language: language, session: session)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.post("calls/:id") { request, context in
            let session = try context.signedIn
            let id = try context.parameters.require("id", as: Int64.self)
            let (config, jobs) = await environment.current()
            let form = context.form, language = Views.language(request)
            guard session.role != .viewer else {
                return views.refusal("refused_role", language: language, session: session, status: .forbidden)
            }
            guard let call = try await environment.store.call(id),
                  session.role == .editor || call.assignment.agent == session.user,
                  let result = form["result"].flatMap(CallResult.init(rawValue:)) else {
                return back(request, agent: nil, done: "refused", name: "")
            }
            let callBackAt = form["callBackAt"].flatMap { InstantFormat.parse($0.replacingOccurrences(of: "T", with: " "), clock: config.clock) }
            if result == .callBack, callBackAt == nil { return back(request, agent: call.assignment.agent, done: "no_time", name: "") }
            let said = CallOutcomes.Said(result: result, note: form["note"], rating: form["rating"].flatMap(Int.init), callBackAt: callBackAt,
                                         category: form["category"].flatMap(FeedbackCategory.init(rawValue:)))
            let effect = try await CallOutcomes(store: environment.store, config: config, jobs: jobs)
                .record(said, for: call, by: session.user, now: environment.clock.now())
            let recorded = effect != nil
            try await console.audit(session, recorded ? "call \(result.rawValue)" : "call refused", "outbox \(id)",
                                    said.note.map { Sentence("audit.call_note", ["note": .text($0)]) })
            // Falling back, or a complaint pausing advertising: the dispatcher and the plan look now.
            if case .unreachable? = effect { await environment.outboxChanged() }
            if recorded, result == .complaint { await environment.outboxChanged() }
            return back(request, agent: call.assignment.agent, done: recorded ? result.rawValue : "refused", name: call.customerName ?? "")
        }
        routes.post("calls/away") { request, context in
            let session = try context.signedIn
            let (config, _) = await environment.current()
            let form = context.form
            guard session.role == .editor else {
                return views.refusal("refused_role", language: Views.language(request), session: session, status: .forbidden)
            }
            guard let agent = form["agent"].flatMap(config.console.roster.agent), let day = form["date"].flatMap({ LocalDate(iso: $0) }) else {
                return back(request, agent: nil, done: "refused", name: "")
            }
            let away = form["away"] != "0"
            let moved = try await CallReassignment(store: environment.store, roster: config.console.roster, clock: config.clock)
                .mark(agent.login, away: away, on: day, by: session.user, now: environment.clock.now())
            try await console.audit(session, away ? "agent away" : "agent back", agent.login,
                                    Sentence("audit.agent_away", ["day": .text(day.description), "moved": .number(moved)]))
            return back(request, agent: agent.login, done: away ? "away" : "back", name: agent.displayName, date: day.description)
        }
        return routes
    }

    func back(_ request: Request, agent: String?, done: String, name: String, date: String? = nil) -> Response {
        var query = "done=\(done)"
        if let agent { query += "&agent=\(agent.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        if !name.isEmpty { query += "&name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        if let date { query += "&date=\(date)" }
        return Console.redirect(to: "/console/calls?\(query)", keeping: request)
    }
}
