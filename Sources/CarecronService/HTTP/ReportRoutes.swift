import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// `GET /v1/report?from=YYYY-MM-DD&to=YYYY-MM-DD[&by=channel|day|week|slot|variant|tier]` (bearer token): what each job achieved, the
/// same figures as `carecron report --format jsonl`, as `{"from", "to", "jobs": [...]}`.
struct ReportRoutes {
    let api: APIShared
    let token: String

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self).add(middleware: BearerAuth(token: token))
        routes.get("/report") { request, _ in
            let rt = await api.runtime.current
            let clock = rt.config.clock, q = request.uri.queryParameters
            let span: (from: Date, to: Date)
            switch OutcomeQuery.span(from: q["from"].map(String.init), to: q["to"].map(String.init), today: clock.localDate(of: api.clock.now()), clock: clock) {
            case .success(let s): span = s
            case .failure(let problem): throw APIError(.badRequest, field: problem.field, problem.description)
            }
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
        return routes
    }
}
