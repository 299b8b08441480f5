import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// One customer: profile, orders, messages past and planned.
struct CustomerRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        // The search box of every page: one match opens that customer, several are listed.
        routes.get("customers") { request, context in
            let language = Views.language(request), words = views.scheduleWords(language)
            let query = Console.parameters(request)["q"]?.trimmingCharacters(in: .whitespaces) ?? ""
            let matches = query.isEmpty ? [] : try await environment.store.searchCustomers(query, limit: 50)
            if matches.count == 1 { return Console.redirect(to: "/console/customers/\(matches[0].id)", keeping: request) }
            let model = SearchModel(query: query, none: matches.isEmpty && !query.isEmpty, matches: matches.map { m in
                SearchModel.Match(id: m.id, name: m.name, phone: m.phone ?? "", email: m.email ?? "", matched: words.word("search_by_\(m.matched.rawValue)"))
            })
            return views.page("search", model, language: language, session: try context.signedIn)
        }
        routes.get("customers/:id") { request, context in
            let id = try context.parameters.require("id")
            let (config, jobs) = await environment.current()
            let language = Views.language(request), session = try context.signedIn
            let page = CustomerPage(config: config, jobs: jobs, store: environment.store, words: views.scheduleWords(language))
            let now = environment.clock.now()
            guard let model = try await page.model(id: id, today: config.clock.localDate(of: now), now: now, parameters: Console.parameters(request)) else {
                return console.notFound(id, language, session)
            }
            return views.page("customer", model, language: language, session: session)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.add(middleware: EditorsOnly<Parent>(views: views))
        // The customer asked, by phone or at the counter: an editor sets the opt-out.
        routes.post("customers/:id/opt-out") { request, context in
            let id = try context.parameters.require("id")
            let (_, jobs) = await environment.current()
            guard let wanted = context.form["optOut"].flatMap(OptOut.init(rawValue:)) else {
                return Console.redirect(to: "/console/customers/\(id)", keeping: request)
            }
            let scope = OptOutScope(wanted, advertisingJobs: jobs.filter { $0.purpose == .marketing }.map(\.name))
            guard let change = try await environment.store.setOptOut(customerId: id, to: scope, user: try context.signedIn.user,
                                                                    now: environment.clock.now()) else {
                return console.notFound(id, Views.language(request), try context.signedIn)
            }
            if change.cancelled > 0 { await environment.outboxChanged() }
            return Console.redirect(to: "/console/customers/\(id)?done=opt_out&cancelled=\(change.cancelled)", keeping: request)
        }
        return routes
    }
}
