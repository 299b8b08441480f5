import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird
import HummingbirdCore

/// `GET /v1/report?from=YYYY-MM-DD&to=YYYY-MM-DD[&by=channel|day|week|slot|variant|tier]` (bearer token): what each job achieved, the
/// same figures as `carecron report --format jsonl`, as `{"from", "to", "jobs": [...]}`; `GET /v1/measures` the handbook's measures
/// as `carecron report --measures` gives them.
struct ReportRoutes {
    let api: APIShared
    let token: String

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self).add(middleware: BearerAuth(token: token))
        routes.get("/report") { request, _ in
            let rt = await api.runtime.current
            let clock = rt.config.clock, q = request.uri.queryParameters
            let span = try Self.span(q, clock: clock, today: api.clock.now())
            guard let grouping = OutcomeGrouping(rawValue: q["by"].map(String.init) ?? "job") else {
                throw APIError(.badRequest, field: "by", "by is job, channel, day, week, slot, variant or tier")
            }
            let rows = try await OutcomeQuery.byJob(api.store, jobs: rt.jobs, holdFor: rt.config.holdFor, from: span.from, to: span.to,
                                                    by: grouping, clock: clock)
            return CampaignRoutes.Body(value: .ordered([
                ("from", .string(clock.localDate(of: span.from).description)),
                ("to", .string(clock.localDate(of: span.to.addingTimeInterval(-1)).description)),
                ("jobs", .array(rows.map { .ordered($0.fields) })),
            ]))
        }
        // The handbook's measures, as `carecron report --measures` gives them.
        routes.get("/measures") { request, _ in
            let rt = await api.runtime.current
            let clock = rt.config.clock, q = request.uri.queryParameters
            let span = try Self.span(q, clock: clock, today: api.clock.now())
            var within = HandbookMeasures.defaultRetentionWindow
            if let text = q["retentionWithin"].map(String.init) {
                guard let w = TimeSpan(text) else { throw APIError(.badRequest, field: "retentionWithin", "retentionWithin is a length of time such as 90d") }
                within = w
            }
            let rows = try await OutcomeQuery.measures(api.store, jobs: rt.jobs, from: span.from, to: span.to, byDay: q["by"] == "day", retentionWithin: within, clock: clock)
            return CampaignRoutes.Body(value: .ordered([
                ("from", .string(clock.localDate(of: span.from).description)),
                ("to", .string(clock.localDate(of: span.to.addingTimeInterval(-1)).description)),
                ("measures", .array(rows.map { .ordered($0.fields) })),
            ]))
        }
        return routes
    }

    /// The days asked for (`from`, `to`), or a 400 naming the one that is not a day.
    static func span(_ q: FlatDictionary<Substring, Substring>, clock: ShopClock, today: Date) throws -> (from: Date, to: Date) {
        switch OutcomeQuery.span(from: q["from"].map(String.init), to: q["to"].map(String.init), today: clock.localDate(of: today), clock: clock) {
        case .success(let s): return s
        case .failure(let problem): throw APIError(.badRequest, field: problem.field, problem.description)
        }
    }
}
