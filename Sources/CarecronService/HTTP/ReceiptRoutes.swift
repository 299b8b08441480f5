import CarecronDelivery
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// `/webhooks/receipts/NAME`: a provider's delivery reports for what the sender NAME sent,
/// authenticated as that provider does it (the sender decides: `ReceivesReceipts`), recorded
/// on the outbox once however often the provider retries. A receipt for a message carecron does
/// not know is logged and answered 200: a provider retrying it forever helps nobody.
struct ReceiptRoutes {
    let api: APIShared
    let log = Logger(label: "carecron")

    struct Answer: ResponseEncodable {
        let outcome: String
        var recorded = 0
        var unchanged = 0
        var unknown = 0
        var reason: String?
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        // eSMS calls back with a GET; Zalo and the webhook sender's receivers POST.
        routes.get("/receipts/:sender") { request, context in try await receive(request, context) }
        routes.post("/receipts/:sender") { request, context in try await receive(request, context) }
        return routes
    }

    func receive(_ request: Request, _ context: APIRequestContext) async throws -> Answer {
        let name = try context.parameters.require("sender")
        let runtime = await api.runtime.current
        guard let sender = runtime.dispatcher?.sender(named: name) as? any ReceivesReceipts, sender.takesReceipts else {
            throw APIError(.notFound, field: "sender", "no sender \"\(name)\" takes delivery receipts (see README, Delivery receipts)")
        }
        let body = Data(buffer: try await request.body.collect(upTo: api.maxBody))
        let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a })
        let headers = Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { a, _ in a })
        let now = api.clock.now()
        switch sender.receipts(ReceiptRequest(method: request.method.rawValue, query: query, headers: headers, body: body), now: now,
                                      clock: runtime.config.clock) {
        case .refused(let why):
            log.warning("delivery receipt refused", metadata: ["sender": "\(name)", "reason": "\(why)"])
            throw APIError(.unauthorized, field: "signature", why)
        case .malformed(let why):
            throw APIError(.badRequest, field: "body", why)
        case .nothing(let why):
            return Answer(outcome: "ignored", reason: why)
        case .receipts(let receipts):
            var answer = Answer(outcome: "recorded")
            for receipt in receipts {
                switch try await api.store.outbox.record(receipt, now: now) {
                case .recorded(_, let channel):
                    answer.recorded += 1
                    Counter(label: "carecron_receipts_total", dimensions: [("sender", name), ("channel", channel),
                                                                           ("status", receipt.status.rawValue)]).increment()
                    // Its next channel may be waiting for this: the fallback step runs now, not at the next minute.
                    if receipt.status == .undelivered { await api.wakeup.ring() }
                case .unchanged: answer.unchanged += 1
                case .unknown:
                    answer.unknown += 1
                    log.notice("a delivery receipt for a message this outbox does not know", metadata: ["sender": "\(name)", "reference": "\(receipt.reference)"])
                }
            }
            return answer
        }
    }
}
