import Foundation
import Hummingbird

/// One customer: profile, orders, messages past and planned.
struct CustomerRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("customers/:id") { request, context in
            let id = try context.parameters.require("id")
            let (config, jobs) = await environment.current()
            let language = Views.language(request), session = try context.signedIn
            let page = CustomerPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
            guard let model = try await page.model(id: id, today: config.clock.localDate(of: environment.clock.now())) else {
                return console.notFound(id, language, session)
            }
            return views.page("customer", model, language: language, session: session)
        }
        return routes
    }
}
