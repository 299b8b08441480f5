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
            let now = environment.clock.now()
            let job = jobs.first { $0.name == call.assignment.job }
            let callBackAt = form["callBackAt"].flatMap { InstantFormat.parse($0.replacingOccurrences(of: "T", with: " "), clock: config.clock) }
            if result == .callBack, callBackAt == nil { return back(request, agent: call.assignment.agent, done: "no_time", name: "") }
            let effect = CallEffect.of(result, tries: call.tries, callBackAt: callBackAt, now: now,
                                       agent: config.console.roster.agent(call.assignment.agent), purpose: job?.purpose ?? .transactional,
                                       calls: config.calls, policy: config.policy)
            let note = form["note"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
            let rating = form["rating"].flatMap(Int.init).flatMap { (1...5).contains($0) ? $0 : nil }
            let recorded = try await environment.store.recordCall(CallRecord(outboxId: id, result: result, effect: effect, note: note,
                                                                              rating: rating, by: session.user, at: now))
            try await console.audit(session, recorded ? "call \(result.rawValue)" : "call refused", "outbox \(id)",
                                    note.map { Sentence("audit.call_note", ["note": .text($0)]) })
            if recorded, case .unreachable = effect { await environment.outboxChanged() }
            // A complaint on the phone is followed as a conversation until resolved (and pauses advertising meanwhile).
            if recorded, result == .complaint {
                _ = try await ConversationDesk(store: environment.store, config: config)
                    .take(customerId: call.assignment.customerId, from: call.phone, channel: ChannelKind.call.rawValue, sender: nil, kind: .complaint,
                          category: form["category"].flatMap(FeedbackCategory.init(rawValue:)) ?? .other, orderId: call.orderIds.first,
                          text: note ?? call.script, at: now, recordedBy: session.user)
                await environment.outboxChanged()
            }
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
