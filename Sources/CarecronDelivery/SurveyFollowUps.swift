import CarecronDomain
import CarecronStorage
import Foundation
import Logging
import Metrics

/// A low survey score, passed on so the care team calls back (issue 28, item 4): logged, counted
/// (`carecron_survey_low_scores_total`), and POSTed as JSON to `surveys.followUpWebhook` where
/// config.json names one, signed as the webhook sender signs (`X-Carecron-Signature:
/// sha256=<hex>` of the body with the survey secret). The API's `/v1/surveys/follow-ups` and
/// the console list them from the store, so a hook that is down loses nothing but the push.
public struct SurveyFollowUps: Sendable {
    let url: URL?
    let secret: String?
    /// Waits before each try after the first (three tries in all by default).
    let retryAfter: [TimeInterval]
    let log = Logger(label: "carecron")
    let transport = HTTPTransport()

    public init(url: URL?, secret: String?, retryAfter: [TimeInterval] = [5, 60]) {
        self.url = url
        self.secret = secret
        self.retryAfter = retryAfter
    }

    /// Passes the answer on; returns once the hook took it or every try failed.
    public func raise(_ answer: SurveyAnswer) async {
        Counter(label: "carecron_survey_low_scores_total", dimensions: [("measure", answer.measure.rawValue)]).increment()
        log.notice("a low survey score: call the customer back", metadata: ["customer": "\(answer.customerId)", "job": "\(answer.job)",
                                                                           "measure": "\(answer.measure.rawValue)", "score": "\(answer.score)"])
        guard let url else { return }
        let body = Data(JSONValue.ordered([("event", .string("survey.low_score")), ("answer", answer.json)]).encoded.utf8)
        var headers = [("Content-Type", "application/json")]
        if let secret { headers.append(("X-Carecron-Signature", WebhookSender.signature(body, secret: secret))) }
        for (attempt, wait) in ([0] + retryAfter).enumerated() {
            if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
            switch await transport.send(url: url.absoluteString, method: .POST, headers: headers, body: body, timeout: 10) {
            case .success(let reply) where (200..<300).contains(reply.status): return
            case .success(let reply): log.warning("the survey follow-up hook answered \(reply.status)", metadata: ["attempt": "\(attempt + 1)"])
            case .failure(let e): log.warning("the survey follow-up hook is unreachable: \(e.outcome)", metadata: ["attempt": "\(attempt + 1)"])
            }
        }
    }
}
