import Foundation
import Hummingbird

/// The plan of the coming days with its reasons, and one planned message on every channel.
struct PlanRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("plan") { request, context in
            let (config, jobs) = await environment.current()
            let today = config.clock.localDate(of: environment.clock.now())
            var query = PlanPage.Query(Console.parameters(request), today: today)
            try await query.findCustomers(in: environment.store)
            let language = Views.language(request)
            let model = try await PlanPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
                .model(query, now: environment.clock.now())
            return views.page("plan", model, language: language, session: try context.signedIn)
        }
        routes.get("plan/message") { request, context in
            let (config, jobs) = await environment.current()
            let language = Views.language(request), session = try context.signedIn
            let parameters = Console.parameters(request)
            let query = PlanPage.Query(parameters, today: config.clock.localDate(of: environment.clock.now()))
            let page = PlanPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
            guard let key = parameters["key"], let model = try await page.message(key: key, query) else {
                return console.notFound(parameters["key"] ?? "", language, session)
            }
            return views.page("planned-message", model, language: language, session: session)
        }
        return routes
    }
}
