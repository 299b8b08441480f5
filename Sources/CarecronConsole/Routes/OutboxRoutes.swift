import Foundation
import Hummingbird

/// Messages that need a person, one message with its renderings, and (for editors) putting a
/// message back in line or giving it up, each in the audit log.
struct OutboxRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("outbox") { request, context in
            let (config, _) = await environment.current()
            let language = Views.language(request)
            let model = try await OutboxPage(store: environment.store, words: views.scheduleWords(language), clock: config.clock)
                .model(state: Console.parameters(request)["state"])
            return views.page("outbox", model, language: language, session: try context.signedIn)
        }
        routes.get("outbox/:id") { request, context in
            let language = Views.language(request), session = try context.signedIn
            guard let id = Int64(try context.parameters.require("id")), let m = try await environment.store.outbox.message(id) else {
                return console.notFound(try context.parameters.require("id"), language, session)
            }
            return views.page("outbox-message", OutboxPage.MessageModel(m, words: views.scheduleWords(language)), language: language, session: session)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.add(middleware: EditorsOnly<Parent>(views: views))
        routes.post("outbox/:id/retry") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let n = try await environment.store.outbox.retry(ids: [id], now: environment.clock.now())
            try await console.audit(try context.signedIn, n > 0 ? "retry" : "retry refused", "outbox \(id)")
            if n > 0 { await environment.outboxChanged() }
            return Console.redirect(to: "/console/outbox", keeping: request)
        }
        routes.post("outbox/:id/drop") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let dropped = try await environment.store.outbox.drop(id, now: environment.clock.now())
            try await console.audit(try context.signedIn, dropped ? "drop" : "drop refused", "outbox \(id)")
            if dropped { await environment.outboxChanged() }
            return Console.redirect(to: "/console/outbox", keeping: request)
        }
        return routes
    }
}
