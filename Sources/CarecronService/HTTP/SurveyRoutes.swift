import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird

/// Surveys over HTTP (issue 28, item 4): the one-question page a survey's `{{survey.link}}`
/// opens (`/s/TOKEN`, public: the signed token is the customer's key, single use), and for the
/// care team's tools the low scores to call back (`GET /v1/surveys/follow-ups`, bearer token)
/// and the answers of a span (`GET /v1/surveys/answers?from=&to=`).
struct SurveyRoutes {
    let api: APIShared
    let token: String

    var page: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get("/s/:token") { _, context in try await show(context.parameters.require("token")) }
        routes.post("/s/:token") { request, context in
            let token = try context.parameters.require("token")
            let form = String(buffer: try await request.body.collect(upTo: 4096))
            let score = form.split(separator: "&").compactMap { pair -> Int? in
                let kv = pair.split(separator: "=", maxSplits: 1)
                return kv.count == 2 && kv[0] == "score" ? Int(kv[1]) : nil
            }.first
            return try await answer(token, score: score)
        }
        return routes
    }

    var tools: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self).add(middleware: BearerAuth(token: token))
        routes.get("/surveys/follow-ups") { request, _ in
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) }.map { min(max($0, 1), 1000) } ?? 100
            let low = try await api.store.lowScores(limit: limit)
            return CampaignRoutes.Body(value: .ordered([("followUps", .array(low.map(\.json)))]))
        }
        routes.get("/surveys/answers") { request, _ in
            let rt = await api.runtime.current
            let span = try ReportRoutes.span(request.uri.queryParameters, clock: rt.config.clock, today: api.clock.now())
            let answers = try await api.store.surveyAnswers(from: span.from, to: span.to)
            return CampaignRoutes.Body(value: .ordered([("answers", .array(answers.map(\.json)))]))
        }
        return routes
    }

    /// The survey the token was signed for, if this shop signed it and the job still asks it.
    func survey(_ token: String) async -> (subject: SurveyLinks.Subject, rules: SurveyRules, shop: String)? {
        let rt = await api.runtime.current
        guard let subject = rt.config.surveyLinks?.subject(of: Substring(token)),
              let rules = rt.jobs.first(where: { $0.name == subject.job })?.rules as? SurveyRules else { return nil }
        return (subject, rules, rt.config.shop.name)
    }

    /// The question, or the answer given before (the link is single use).
    func show(_ token: String, problem: Bool = false) async throws -> Response {
        guard let (subject, rules, shop) = await survey(token) else { return SurveyPage.notFound() }
        if let first = try await api.store.surveyAnswer(job: subject.job, customerId: subject.customerId, orderId: subject.orderId) {
            return SurveyPage.thanks(shop: shop, answer: first, justNow: false)
        }
        return SurveyPage.question(shop: shop, measure: rules.measure, orderId: subject.orderId, token: token, problem: problem)
    }

    func answer(_ token: String, score: Int?) async throws -> Response {
        guard let (subject, rules, shop) = await survey(token) else { return SurveyPage.notFound() }
        guard let score, rules.measure.scale.contains(score) else { return try await show(token, problem: true) }
        switch try await api.store.recordSurveyAnswer(SurveyAnswer(job: subject.job, customerId: subject.customerId, orderId: subject.orderId,
                                                                   measure: rules.measure, score: score, source: .page, answeredAt: api.clock.now())) {
        case .stored(let stored):
            await SurveyFollowUpsFor(api).take(stored)
            return SurveyPage.thanks(shop: shop, answer: stored, justNow: true)
        case .alreadyAnswered(let first):
            return SurveyPage.thanks(shop: shop, answer: first, justNow: false)
        }
    }
}

/// The follow-ups of the running configuration, raised without holding up the caller.
struct SurveyFollowUpsFor {
    let api: APIShared

    init(_ api: APIShared) { self.api = api }

    /// A newly stored answer: raised when it is low.
    func take(_ answer: SurveyAnswer) async {
        guard answer.isLow else { return }
        let config = await api.runtime.current.config
        let followUps = SurveyFollowUps(url: config.surveys?.followUpWebhook, secret: config.surveySecret)
        Task { await followUps.raise(answer) }
    }
}
