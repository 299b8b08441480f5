import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// *Kết quả*: what each job achieved, over the days asked (the last 30 by default).
struct ResultsRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("results") { request, context in
            let (config, jobs) = await environment.current()
            let language = Views.language(request), words = views.scheduleWords(language)
            let q = Console.parameters(request), clock = config.clock
            let today = clock.localDate(of: environment.clock.now())
            // Days that are not days: the default span, rather than an error page for a typo in the address.
            let span = (try? OutcomeQuery.span(from: q["from"], to: q["to"], today: today, clock: clock).get())
                ?? (try! OutcomeQuery.span(from: nil, to: nil, today: today, clock: clock).get())
            let rows = try await OutcomeQuery.byJob(environment.store, jobs: jobs, holdFor: config.holdFor, from: span.from, to: span.to, clock: clock)
            var model = ResultsModel(from: clock.localDate(of: span.from).description, to: clock.localDate(of: span.to.addingTimeInterval(-1)).description,
                                     jobs: rows.map { ResultsModel.Job($0, words: words) })
            // The reminders' windows side by side: which time of day gets orders paid.
            let inTurns = Set(jobs.filter(\.rules.remindsInTurns).map(\.name))
            let bySlot = try await OutcomeQuery.byJob(environment.store, jobs: jobs.filter { inTurns.contains($0.name) }, holdFor: config.holdFor,
                                                      from: span.from, to: span.to, by: .slot, clock: clock)
            model.slots = Dictionary(grouping: bySlot.filter { inTurns.contains($0.job) }, by: \.job).sorted { $0.key < $1.key }
                .map { ResultsModel.slots($0.key, $0.value, vi: language == .vi) }
            return views.page("results", model, language: language, session: try context.signedIn)
        }
        return routes
    }
}
