import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// The outbox as history, one message with its renderings, and (for editors) putting a message
/// back in line or giving it up (after a confirmation), each in the audit log and each said in
/// a line on the page it returns to.
struct OutboxRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("outbox") { request, context in
            let (config, jobs) = await environment.current()
            let language = Views.language(request), words = views.scheduleWords(language)
            let parameters = Console.parameters(request)
            let query = OutboxPage.Query(parameters)
            // A name can match several customers: their messages together (nobody: none).
            let customerIds = try await query.customer.asyncFlatMap { try await environment.store.searchCustomers($0, limit: 50).map(\.id) }
            var model = try await OutboxPage(store: environment.store, words: words, clock: config.clock)
                .model(query, jobs: jobs.map(\.name), customerIds: customerIds)
            if let done = parameters["done"], let id = parameters["id"], let outcome = ActionOutcome(rawValue: done) {
                model.done = words.word("outbox_done_\(outcome.rawValue)", ["id": id, "state": parameters["state_was"].flatMap(OutboxState.init(rawValue:)).map(words.state) ?? ""])
                model.doneFailed = outcome.refused ? true : nil
            }
            return views.page("outbox", model, language: language, session: try context.signedIn)
        }
        routes.get("outbox/:id") { request, context in
            try await message(request, context, confirmingDrop: false)
        }
        routes.get("outbox/:id/drop") { request, context in
            try await message(request, context, confirmingDrop: true)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.add(middleware: EditorsOnly<Parent>(views: views))
        routes.post("outbox/:id/retry") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let n = try await environment.store.outbox.retry(ids: [id], now: environment.clock.now())
            try await console.audit(try context.signedIn, n > 0 ? "retry" : "retry refused", "outbox \(id)")
            if n > 0 { await environment.outboxChanged() }
            return try await back(request, context, id: id, n > 0 ? .retried : .retryRefused)
        }
        routes.post("outbox/:id/drop") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let dropped = try await environment.store.outbox.drop(id, now: environment.clock.now())
            try await console.audit(try context.signedIn, dropped ? "drop" : "drop refused", "outbox \(id)")
            if dropped { await environment.outboxChanged() }
            return try await back(request, context, id: id, dropped ? .dropped : .dropRefused)
        }
        return routes
    }

    /// What a retry or a drop did, said on the page the user returns to.
    enum ActionOutcome: String {
        case retried, retryRefused = "retry_refused", dropped, dropRefused = "drop_refused"

        var refused: Bool { self == .retryRefused || self == .dropRefused }
    }

    /// One message; with `confirmingDrop`, the question whether to give it up.
    func message(_ request: Request, _ context: ConsoleContext<Parent>, confirmingDrop: Bool) async throws -> Response {
        let environment = console.environment, views = console.views
        let language = Views.language(request), session = try context.signedIn
        guard let id = Int64(try context.parameters.require("id")), let m = try await environment.store.outbox.message(id) else {
            return console.notFound(try context.parameters.require("id"), language, session)
        }
        let names = try await environment.store.customerNames(m.customerId.map { [$0] } ?? [])
        let clock = await environment.current().0.clock
        var model = OutboxPage.MessageModel(m, name: names[m.customerId ?? ""] ?? "", words: views.scheduleWords(language), clock: clock)
        if confirmingDrop, model.canDrop { model.confirmDrop = true }
        model.back = Self.safeBack(Console.parameters(request)["back"])
        return views.page("outbox-message", model, language: language, session: session)
    }

    /// Back to the list the action came from (its filters kept), with a line saying what happened.
    func back(_ request: Request, _ context: ConsoleContext<Parent>, id: Int64, _ outcome: ActionOutcome) async throws -> Response {
        var path = Self.safeBack(context.form["back"]) ?? "/console/outbox"
        path += (path.contains("?") ? "&" : "?") + "done=\(outcome.rawValue)&id=\(id)"
        if outcome.refused, let m = try await console.environment.store.outbox.message(id) { path += "&state_was=\(m.state.rawValue)" }
        return Console.redirect(to: path, keeping: request)
    }

    /// Only the outbox's own list is a place to go back to (never another site).
    static func safeBack(_ back: String?) -> String? {
        guard let back, back.hasPrefix("/console/outbox"), !back.contains("//"), !back.contains("\\") else { return nil }
        return back
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
