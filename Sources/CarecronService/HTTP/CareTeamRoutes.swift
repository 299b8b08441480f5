import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// The care team over HTTP (issue 29), bearer token: the hotline or the shop's helpdesk records
/// a complaint or a piece of feedback (`POST /v1/customers/ID/feedback`), followed as a
/// conversation until resolved (a complaint pauses the customer's advertising meanwhile); the
/// conversations waiting (`GET /v1/conversations`) and an agent's calls of a day
/// (`GET /v1/calls?agent=&date=`) for tools of the shop's own.
struct CareTeamRoutes {
    let api: APIShared
    let token: String

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self).add(middleware: BearerAuth(token: token))
        routes.post("/customers/:id/feedback") { request, context in try await feedback(request, context) }
        routes.post("/calls/:id/outcome") { request, context in try await outcome(request, context) }
        routes.post("/conversations/:id/answer") { request, context in try await answer(request, context) }
        routes.post("/conversations/:id/resolve") { request, context in try await resolve(request, context) }
        routes.get("/conversations") { request, _ in
            let states = request.uri.queryParameters["state"].map { String($0) }
            let query = ConversationQuery(states: try states.map { s in
                guard let state = ConversationState(rawValue: s) else {
                    throw APIError(.badRequest, field: "state", "\"\(s)\" is not open, answered or resolved")
                }
                return [state]
            } ?? [.open, .answered], limit: 500)
            let now = api.clock.now()
            return CampaignRoutes.Body(value: .ordered([("conversations", .array(try await api.store.conversations(query).map { Self.json($0, now: now) }))]))
        }
        routes.get("/calls") { request, _ in
            let rt = await api.runtime.current
            let q = request.uri.queryParameters
            let day = try q["date"].map { text in
                guard let d = LocalDate(iso: String(text)) else { throw APIError(.badRequest, field: "date", "\"\(text)\" is not YYYY-MM-DD") }
                return d
            } ?? rt.config.clock.localDate(of: api.clock.now())
            let agent = q["agent"].map(String.init)
            if let agent, rt.config.console.roster.agent(agent) == nil { throw APIError(.notFound, field: "agent", "no agent \"\(agent)\"") }
            let lists = try await CallLists.lists(api.store, agent: agent, day: day, clock: rt.config.clock)
            let calls = lists.keys.sorted().flatMap { a in (lists[a] ?? []).enumerated().map { Self.json($0.element, position: $0.offset + 1) } }
            return CampaignRoutes.Body(value: .ordered([("date", .string(day.description)), ("calls", .array(calls))]))
        }
        return routes
    }

    struct Recorded: ResponseEncodable {
        let id: Int64
        let outcome: String
        let kind: String
        let agent: String?
        let dueAt: String
    }

    func feedback(_ request: Request, _ context: APIRequestContext) async throws -> WithStatus<Recorded> {
        let id = try context.pathParameter("id")
        let f = try await RequestFields.read(request, maxBody: api.maxBody, refusal: "must be a JSON object")
        let rt = await api.runtime.current
        guard let (customer, orders) = try await api.store.customerWithOrders(id: id) else { throw APIError(.notFound, field: "id", "no customer \(id)") }
        let kind = try f["kind"].map { k in
            guard let kind = ConversationKind(rawValue: k), kind != .reply else { throw APIError(.badRequest, field: "kind", "\"\(k)\" is not complaint or feedback") }
            return kind
        } ?? .complaint
        guard let c = f["category"], let category = FeedbackCategory(rawValue: c) else {
            throw APIError(.badRequest, field: "category", "must be one of \(FeedbackCategory.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let text = f["text"]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw APIError(.badRequest, field: "text", "what the customer said is required")
        }
        let orderId = f["order_id"].flatMap { $0.isEmpty ? nil : $0 }
        if let orderId, !orders.contains(where: { $0.id == orderId }) {
            throw APIError(.badRequest, field: "order_id", "\(orderId) is not an order of customer \(id)")
        }
        let channel = f["channel"].flatMap { $0.isEmpty ? nil : $0 } ?? "hotline"
        guard Self.recordedChannels.contains(channel) else {
            throw APIError(.badRequest, field: "channel", "must be one of \(Self.recordedChannels.joined(separator: ", "))")
        }
        let now = api.clock.now()
        // The address the customer is answered at on that channel.
        let from = (channel == "email" ? customer.facts.email : customer.facts.phone) ?? customer.facts.phone ?? customer.facts.email ?? ""
        let (outcome, conversation) = try await ConversationDesk(store: api.store, config: rt.config)
            .take(customerId: id, from: from, channel: channel, sender: nil, kind: kind,
                  category: category, orderId: orderId, text: text, at: now, recordedBy: f["by"].flatMap { $0.isEmpty ? nil : $0 } ?? "api")
        try await api.store.record(AuditEntry(at: now, user: f["by"] ?? "api", action: "\(kind.rawValue) recorded", subject: id,
                                              detail: Sentence("audit.feedback", ["category": .word("feedback.\(category.rawValue)"), "text": .text(text)]).stored))
        Counter(label: "carecron_conversations_total", dimensions: [("kind", kind.rawValue), ("outcome", "\(outcome)")]).increment()
        // A complaint pauses advertising: the plan changes now.
        if kind == .complaint { await api.wakeup.ring() }
        return WithStatus(status: .created, body: Recorded(id: conversation.id, outcome: "\(outcome)", kind: kind.rawValue, agent: conversation.agent,
                                                           dueAt: InstantFormat.format(conversation.dueAt, clock: rt.config.clock)))
    }

    /// A call centre's system says what came of a call, as the agent's buttons do.
    func outcome(_ request: Request, _ context: APIRequestContext) async throws -> CampaignRoutes.Body {
        let id = try context.pathParameter("id")
        let f = try await RequestFields.read(request, maxBody: api.maxBody, refusal: "must be a JSON object")
        let rt = await api.runtime.current
        guard let outboxId = Int64(id), let call = try await api.store.call(outboxId) else { throw APIError(.notFound, field: "id", "no call \(id)") }
        guard let r = f["result"], let result = CallResult(rawValue: r) else {
            throw APIError(.badRequest, field: "result", "must be one of \(CallResult.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var callBackAt: Date?
        if let text = f["call_back_at"], !text.isEmpty {
            guard let d = InstantFormat.parse(text, clock: rt.config.clock) else { throw APIError(.badRequest, field: "call_back_at", "\"\(text)\" is not a time") }
            callBackAt = d
        }
        if result == .callBack, callBackAt == nil { throw APIError(.badRequest, field: "call_back_at", "a call back needs its time") }
        var rating: Int?
        if let text = f["rating"], !text.isEmpty {
            guard let n = Int(text), (1...5).contains(n) else { throw APIError(.badRequest, field: "rating", "must be 1 to 5") }
            rating = n
        }
        let category = try f["category"].flatMap { c -> FeedbackCategory? in
            guard !c.isEmpty else { return nil }
            guard let category = FeedbackCategory(rawValue: c) else { throw APIError(.badRequest, field: "category", "\"\(c)\" is not a category") }
            return category
        }
        let by = f["by"].flatMap { $0.isEmpty ? nil : $0 } ?? call.assignment.agent
        let now = api.clock.now()
        guard let effect = try await CallOutcomes(store: api.store, config: rt.config, jobs: rt.jobs)
            .record(.init(result: result, note: f["note"], rating: rating, callBackAt: callBackAt, category: category), for: call, by: by, now: now) else {
            throw APIError(.conflict, field: "id", "call \(id) is not open: done already, or its message went on to the next channel")
        }
        try await api.store.record(AuditEntry(at: now, user: by, action: "call \(result.rawValue)", subject: "outbox \(id)", detail: ""))
        await api.wakeup.ring()
        let (state, next): (String, Date?) = switch effect {
        case .reached: ("done", nil)
        case .unreachable: ("done", nil)
        case .tryAgain(let at): ("open", at)
        }
        return CampaignRoutes.Body(value: .ordered([("id", .number(Double(outboxId))), ("state", .string(state)),
                                                    ("next_try_at", next.map { .string(InstantFormat.format($0, clock: rt.config.clock)) } ?? .null)]))
    }

    /// The shop's helpdesk answers a conversation through carecron (the outbox, the customer's channel).
    func answer(_ request: Request, _ context: APIRequestContext) async throws -> WithStatus<CampaignRoutes.Body> {
        let (c, f) = try await conversation(request, context)
        guard let text = f["text"]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw APIError(.badRequest, field: "text", "the answer's text is required")
        }
        let by = f["by"].flatMap { $0.isEmpty ? nil : $0 } ?? "api"
        let rt = await api.runtime.current
        guard let outboxId = try await ConversationDesk(store: api.store, config: rt.config)
            .answer(c, text: text, by: by, token: f["token"].flatMap { $0.isEmpty ? nil : $0 } ?? ConversationDesk.token(for: text), now: api.clock.now()) else {
            throw APIError(.conflict, field: "id", "conversation \(c.id) is resolved, the answer was sent already, or the customer has no address to answer to")
        }
        try await api.store.record(AuditEntry(at: api.clock.now(), user: by, action: "answer", subject: "conversation \(c.id)", detail: ""))
        await api.wakeup.ring()
        return WithStatus(status: .created, body: CampaignRoutes.Body(value: .ordered([("id", .number(Double(c.id))), ("outbox_id", .number(Double(outboxId)))])))
    }

    func resolve(_ request: Request, _ context: APIRequestContext) async throws -> CampaignRoutes.Body {
        let (c, f) = try await conversation(request, context)
        guard let resolution = f["resolution"]?.trimmingCharacters(in: .whitespacesAndNewlines), !resolution.isEmpty else {
            throw APIError(.badRequest, field: "resolution", "what was done to resolve it is required")
        }
        let by = f["by"].flatMap { $0.isEmpty ? nil : $0 } ?? "api"
        guard try await api.store.resolve(c.id, resolution: resolution, by: by, at: api.clock.now()) else {
            throw APIError(.conflict, field: "id", "conversation \(c.id) is resolved already")
        }
        try await api.store.record(AuditEntry(at: api.clock.now(), user: by, action: "resolve", subject: "conversation \(c.id)", detail: ""))
        if c.kind == .complaint { await api.wakeup.ring() }
        return CampaignRoutes.Body(value: .ordered([("id", .number(Double(c.id))), ("state", .string(ConversationState.resolved.rawValue))]))
    }

    private func conversation(_ request: Request, _ context: APIRequestContext) async throws -> (Conversation, [String: String]) {
        let id = try context.pathParameter("id")
        let f = try await RequestFields.read(request, maxBody: api.maxBody, refusal: "must be a JSON object")
        guard let n = Int64(id), let (c, _) = try await api.store.conversation(n) else { throw APIError(.notFound, field: "id", "no conversation \(id)") }
        return (c, f)
    }

    /// Where a complaint or feedback recorded for a customer came from.
    static let recordedChannels = ["hotline", "call", "sms", "zalo", "email", "counter"]

    static func json(_ c: Conversation, now: Date) -> JSONValue {
        func time(_ d: Date?) -> JSONValue { d.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null }
        return .ordered([("id", .number(Double(c.id))), ("customer_id", c.customerId.map(JSONValue.string) ?? .null),
                         ("kind", .string(c.kind.rawValue)), ("category", c.category.map { .string($0.rawValue) } ?? .null),
                         ("channel", .string(c.channel)), ("state", .string(c.state.rawValue)), ("agent", c.agent.map(JSONValue.string) ?? .null),
                         ("opened_at", time(c.openedAt)), ("due_at", time(c.dueAt)), ("overdue", .bool(c.isOverdue(at: now))),
                         ("first_response_at", time(c.firstResponseAt)), ("resolved_at", time(c.resolvedAt)), ("contacts", .number(Double(c.contacts)))])
    }

    static func json(_ c: CallItem, position: Int) -> JSONValue {
        .ordered([("position", .number(Double(position))), ("id", .number(Double(c.outboxId))), ("agent", .string(c.assignment.agent)),
                  ("job", .string(c.assignment.job)), ("customer_id", c.assignment.customerId.map(JSONValue.string) ?? .null),
                  ("customer", c.customerName.map(JSONValue.string) ?? .null), ("phone", .string(c.phone)),
                  ("orders", .array(c.orderIds.map(JSONValue.string))), ("amount", .number(Double(c.assignment.amount))),
                  ("due_at", .string(ISO8601DateFormatter().string(from: c.assignment.nextTryAt))), ("tries", .number(Double(c.tries))),
                  ("state", .string(c.state.rawValue)), ("result", c.result.map { .string($0.rawValue) } ?? .null), ("script", .string(c.script))])
    }
}
