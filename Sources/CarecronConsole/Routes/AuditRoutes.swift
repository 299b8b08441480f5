import CarecronDomain
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
                AuditModel.Entry(at: words.instant(e.at, clock: config.clock), user: e.user, action: Self.action(e.action, words),
                                 subject: e.subject, detail: Sentence(stored: e.detail).map(words.say) ?? e.detail)
            }
            return views.page("audit", AuditModel(entries: entries), language: language, session: try context.signedIn)
        }
        return routes
    }

    /// An action as the catalogue says it ("test send" → "gửi thử"); one it does not know, as recorded.
    static func action(_ action: String, _ words: ScheduleWords) -> String {
        let code = "audit." + action.replacingOccurrences(of: " ", with: "_")
        return Catalogue.has(code) ? words.say(Sentence(code)) : action
    }
}
