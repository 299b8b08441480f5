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
            let bySlot = try await OutcomeQuery.byJob(environment.store, jobs: jobs, holdFor: config.holdFor, from: span.from, to: span.to,
                                                      by: .slot, only: inTurns, clock: clock)
            model.slots = Dictionary(grouping: bySlot, by: \.job).sorted { $0.key < $1.key }
                .map { ResultsModel.slots($0.key, $0.value, vi: language == .vi) }
            // Experiments: each arm's rate and interval, and what may be concluded yet.
            let experimenting = Set(jobs.filter { $0.experiment != nil }.map(\.name))
            if !experimenting.isEmpty {
                let arms = try await OutcomeQuery.byJob(environment.store, jobs: jobs, holdFor: config.holdFor, from: span.from, to: span.to, by: .variant,
                                                        only: experimenting, clock: clock)
                model.experiments = Dictionary(grouping: arms.filter { $0.comparison != nil }, by: \.job).sorted { $0.key < $1.key }
                    .map { ResultsModel.experiment($0.key, $0.value, words: words) }
            }
            // The handbook's measures.
            let measures = try await OutcomeQuery.measures(environment.store, jobs: jobs, from: span.from, to: span.to, clock: clock)
            let surveyRows = measures.filter { [.csat, .ces, .nps].contains($0.measure) }
            model.surveys = Dictionary(grouping: surveyRows) { "\($0.job ?? "") \($0.measure.rawValue)" }.sorted { $0.key < $1.key }
                .map { ResultsModel.survey($0.value, words: words) }
            if let r = measures.first(where: { $0.measure == .retention }), r.count > 0 {
                model.retentionBuyers = r.count
                model.retentionReturned = r.low ?? 0
                model.retention = words.say(Sentence("results.retention", ["returned": .number(r.low ?? 0), "buyers": .number(r.count),
                                                                           "days": .number(HandbookMeasures.defaultRetentionWindow.seconds / 86_400),
                                                                           "rate": .text(ResultsModel.percent(r.value, vi: language == .vi))]))
            }
            if let r = measures.first(where: { $0.measure == .responseTime }), let f = measures.first(where: { $0.measure == .firstContactResolution }),
               r.count + f.count > 0 {
                model.careTeam = words.say(Sentence("results.care_team", [
                    "response": r.value.map { .span(TimeSpan(seconds: Int($0.rounded()))) } ?? .text("–"),
                    "answered": .number(r.count), "fcr": .text(ResultsModel.percent(f.value, vi: language == .vi)), "resolved": .number(f.count)]))
            }
            model.tiers = measures.filter { $0.measure == .cltv }.map { t in
                ResultsModel.Tier(tier: t.tier == OutcomeGrouping.noTier ? words.word("results_no_tier") : t.tier ?? "", buyers: t.count,
                                  value: VietnameseFormat.money(Int((t.value ?? 0).rounded())), revenue: VietnameseFormat.money(t.revenue ?? 0))
            }
            return views.page("results", model, language: language, session: try context.signedIn)
        }
        return routes
    }
}
