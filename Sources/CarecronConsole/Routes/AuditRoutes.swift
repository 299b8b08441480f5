import Foundation
import Hummingbird

/// What people did through the console, newest first.
struct AuditRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("audit") { request, context in
            let (config, _) = await environment.current()
            let language = Views.language(request)
            let words = views.scheduleWords(language)
            let entries = try await environment.store.recent(limit: 500).map { e in
                AuditModel.Entry(at: words.instant(e.at, clock: config.clock), user: e.user, action: e.action, subject: e.subject, detail: e.detail)
            }
            return views.page("audit", AuditModel(entries: entries), language: language, session: try context.signedIn)
        }
        return routes
    }
}
