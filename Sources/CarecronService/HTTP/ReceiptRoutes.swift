import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// What providers call back with, under `/webhooks`: `receipts/NAME` (delivery reports for
/// what the sender NAME sent) and `inbound/NAME` (customers' replies through it), each
/// authenticated as that provider does it (the sender decides: `ReceivesReceipts`,
/// `ReceivesReplies`). A receipt is recorded once however often the provider retries; a
/// receipt for a message carecron does not know is logged and answered 200 (a provider
/// retrying it forever helps nobody). A reply is stored against the customer with that phone
/// or Zalo id; an opt-out among them takes effect in the same transaction (ReplyStore).
struct ReceiptRoutes {
    let api: APIShared
    let log = Logger(label: "carecron")
    /// The receipts of concurrent calls, recorded a group at a time.
    let receipts: Batched<DeliveryReceipt, ReceiptOutcome>

    init(api: APIShared) {
        self.api = api
        let (outbox, clock) = (api.store.outbox, api.clock)
        receipts = Batched { group in try await outbox.record(group, now: clock.now()) }
    }

    struct Answer: ResponseEncodable {
        let outcome: String
        var recorded = 0
        var unchanged = 0
        var unknown = 0
        var replies = 0
        var optOuts = 0
        var cancelled = 0
        var surveyAnswers = 0
        /// Replies that opened or joined a conversation of the care team.
        var conversations = 0
        /// What to say back to a customer who opted out, for a receiver that relays it.
        var confirmation: String?
        var reason: String?
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        // eSMS calls back with a GET; Zalo and the webhook sender's receivers POST.
        for method in [HTTPRequest.Method.get, .post] {
            routes.on("/receipts/:sender", method: method) { request, context in try await receive(request, context, replies: false) }
            routes.on("/inbound/:sender", method: method) { request, context in try await receive(request, context, replies: true) }
        }
        return routes
    }

    func receive(_ request: Request, _ context: APIRequestContext, replies: Bool) async throws -> Response {
        let name = try context.parameters.require("sender")
        let runtime = await api.runtime.current
        let sender = runtime.dispatcher?.sender(named: name)
        let body = Data(buffer: try await request.body.collect(upTo: api.maxBody))
        let call = ReceiptRequest(method: request.method.rawValue,
                                  query: Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a }),
                                  headers: Dictionary(request.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                  body: body)
        let now = api.clock.now(), clock = runtime.config.clock
        let verdict: CallbackVerdict
        if replies {
            guard let hears = sender as? any ReceivesReplies, hears.takesReplies else {
                throw APIError(.notFound, field: "sender", "no sender \"\(name)\" takes customers' replies (see README, Replies and opt-outs)")
            }
            verdict = hears.replies(call, now: now, clock: clock)
        } else {
            guard let hears = sender as? any ReceivesReceipts, hears.takesReceipts else {
                throw APIError(.notFound, field: "sender", "no sender \"\(name)\" takes delivery receipts (see README, Delivery receipts)")
            }
            verdict = hears.receipts(call, now: now, clock: clock)
        }
        switch verdict {
        case .refused(let why):
            log.warning("a provider's call refused", metadata: ["sender": "\(name)", "reason": "\(why)"])
            throw APIError(.unauthorized, field: "signature", why)
        case .malformed(let why):
            throw APIError(.badRequest, field: "body", why)
        case .nothing(let why):
            return try Answer(outcome: "ignored", reason: why).response(from: request, context: context)
        case .rated(let ratings):
            var answer = Answer(outcome: "recorded")
            for rating in ratings {
                switch try await ProviderRatings.answer(rating, store: api.store) {
                case .stored(let a)?:
                    answer.surveyAnswers += 1
                    await SurveyFollowUpsFor(api).take(a)
                case .alreadyAnswered?: answer.unchanged += 1
                case nil:
                    answer.unknown += 1
                    log.notice("a rating of a message this outbox does not know", metadata: ["sender": "\(name)", "provider_id": "\(rating.providerId)"])
                }
            }
            return try answer.response(from: request, context: context)
        case .heard(let receipts, let heard):
            var answer = Answer(outcome: "recorded")
            try await record(receipts, sender: name, into: &answer)
            try await store(heard, sender: name, runtime: runtime, now: now, into: &answer)
            if answer.cancelled > 0 || answer.conversations > 0 || receipts.contains(where: { $0.status == .undelivered }) {
                // A fallback may be waiting for this, and cancelled messages change the plan: now, not at the next minute.
                await api.wakeup.ring()
            }
            if let own = (sender as? any ReceivesReplies)?.answer(heard, confirmation: answer.confirmation), replies {
                var headers = HTTPFields()
                headers[.contentType] = own.contentType
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: own.body)))
            }
            return try answer.response(from: request, context: context)
        }
    }

    private func record(_ receipts: [DeliveryReceipt], sender name: String, into answer: inout Answer) async throws {
        for (receipt, outcome) in zip(receipts, try await self.receipts.submit(receipts)) {
            switch outcome {
            case .recorded(_, let channel):
                answer.recorded += 1
                Counter(label: "carecron_receipts_total", dimensions: [("sender", name), ("channel", channel),
                                                                       ("status", receipt.status.rawValue)]).increment()
            case .unchanged: answer.unchanged += 1
            case .unknown:
                answer.unknown += 1
                log.notice("a delivery receipt for a message this outbox does not know", metadata: ["sender": "\(name)", "reference": "\(receipt.reference)"])
            }
        }
    }

    private func store(_ replies: [InboundReply], sender name: String, runtime: Runtime, now: Date, into answer: inout Answer) async throws {
        guard !replies.isEmpty else { return }
        let advertising = runtime.jobs.filter { $0.purpose == .marketing }.map(\.name)
        for reply in replies {
            let optOut = runtime.config.optOutKeywords.optOut(in: reply.text)
            let outcome = try await api.store.record(reply, optOut: optOut.map { OptOutScope($0, advertisingJobs: advertising) }, now: now)
            guard case .stored(let stored) = outcome else {
                // The provider's retry: the confirmation it may not have had the first time, nothing counted again.
                if let opted = outcome.reply.optOut { answer.confirmation = runtime.config.optOutConfirmation.text(for: opted) }
                continue
            }
            answer.replies += 1
            let kind = stored.customerId == nil ? "unmatched" : stored.optOut != nil ? "opt_out" : "reply"
            Counter(label: "carecron_replies_total", dimensions: [("sender", name), ("kind", kind)]).increment()
            // A score answering the customer's open survey ("5 sao"): stored, a low one passed on for a call back.
            let score = try await SurveyReplies.answer(stored, jobs: runtime.jobs, store: api.store)
            if case .stored(let a)? = score {
                answer.surveyAnswers += 1
                await SurveyFollowUpsFor(api).take(a)
            }
            // Anything else the customer wrote is for the care team: a conversation, due by the handbook's time,
            // from when it came (a provider's clock ahead of ours would make the answer seem to come first).
            if stored.optOut == nil, score == nil {
                let (outcome, conversation) = try await ConversationDesk(store: api.store, config: runtime.config)
                    .take(customerId: stored.customerId, from: stored.from, channel: stored.channel, sender: name, kind: .reply,
                          text: stored.text, at: min(stored.receivedAt, now))
                Counter(label: "carecron_conversations_total", dimensions: [("kind", ConversationKind.reply.rawValue), ("outcome", "\(outcome)")]).increment()
                answer.conversations += 1
                log.info("a reply for the care team", metadata: ["conversation": "\(conversation.id)", "agent": "\(conversation.agent ?? "-")",
                                                                  "outcome": "\(outcome)"])
            }
            if let opted = stored.optOut {
                answer.optOuts += 1
                answer.cancelled += stored.cancelled
                answer.confirmation = runtime.config.optOutConfirmation.text(for: opted)
                log.notice("a customer opted out by replying", metadata: ["sender": "\(name)", "customer": "\(stored.customerId ?? "")",
                                                                           "opt_out": "\(opted.rawValue)", "cancelled": "\(stored.cancelled)"])
            }
        }
    }
}
