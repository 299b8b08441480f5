import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// A conversation of the care team (issue 29): read by anyone signed in; answered and resolved
/// by its agent or an editor; a complaint or feedback recorded from the customer's page by an
/// agent or an editor. Each in the audit log.
struct ConversationRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("conversations/:id") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let (config, _) = await environment.current()
            let language = Views.language(request), session = try context.signedIn, words = views.scheduleWords(language)
            guard var model = try await ConversationPage(store: environment.store, config: config, words: words)
                .model(id, session: session, now: environment.clock.now()) else {
                return console.notFound(String(id), language, session)
            }
            if let done = Console.parameters(request)["done"] { model.done = words.word("conv_done_\(done)") }
            return views.page("conversation", model, language: language, session: session)
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.add(middleware: CareTeamOnly<Parent>(views: views))
        routes.post("conversations/:id/answer") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let session = try context.signedIn, (config, _) = await environment.current()
            let text = context.form["text"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !text.isEmpty, let (c, _) = try await environment.store.conversation(id), Self.mayAct(session, on: c),
                  let token = context.form["token"], !token.isEmpty,
                  let outboxId = try await ConversationDesk(store: environment.store, config: config)
                    .answer(c, text: text, by: session.user, token: token, now: environment.clock.now()) else {
                return Console.redirect(to: "/console/conversations/\(id)?done=refused", keeping: request)
            }
            try await console.audit(session, "answer", "conversation \(id)", Sentence("audit.answer", ["outbox": .number(Int(outboxId))]))
            await environment.outboxChanged()
            return Console.redirect(to: "/console/conversations/\(id)?done=answered", keeping: request)
        }
        routes.post("conversations/:id/resolve") { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let session = try context.signedIn
            let resolution = context.form["resolution"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !resolution.isEmpty, let (c, _) = try await environment.store.conversation(id), Self.mayAct(session, on: c),
                  try await environment.store.resolve(id, resolution: resolution, by: session.user, at: environment.clock.now()) else {
                return Console.redirect(to: "/console/conversations/\(id)?done=refused", keeping: request)
            }
            try await console.audit(session, "resolve", "conversation \(id)", Sentence("audit.call_note", ["note": .text(resolution)]))
            // A resolved complaint lets the customer's advertising go again: the plan changes.
            if c.kind == .complaint { await environment.outboxChanged() }
            return Console.redirect(to: "/console/conversations/\(id)?done=resolved", keeping: request)
        }
        routes.post("customers/:id/feedback") { request, context in
            let id = try context.parameters.require("id")
            let session = try context.signedIn, (config, _) = await environment.current()
            let form = context.form
            let text = form["text"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard let (customer, orders) = try await environment.store.customerWithOrders(id: id) else {
                return console.notFound(id, Views.language(request), session)
            }
            let kind = form["kind"].flatMap(ConversationKind.init(rawValue:)) ?? .complaint
            let orderId = form["orderId"].flatMap { o in orders.contains { $0.id == o } ? o : nil }
            guard !text.isEmpty, kind != .reply, let category = form["category"].flatMap(FeedbackCategory.init(rawValue:)) else {
                return Console.redirect(to: "/console/customers/\(id)?done=feedback_refused", keeping: request)
            }
            let (_, c) = try await ConversationDesk(store: environment.store, config: config)
                .take(customerId: id, from: customer.facts.phone ?? customer.facts.email ?? "", channel: "hotline", sender: nil, kind: kind,
                      category: category, orderId: orderId, text: text, at: environment.clock.now(), recordedBy: session.user)
            try await console.audit(session, "\(kind.rawValue) recorded", id,
                                    Sentence("audit.feedback", ["category": .word("feedback.\(category.rawValue)"), "text": .text(text)]))
            if kind == .complaint { await environment.outboxChanged() }
            return Console.redirect(to: "/console/conversations/\(c.id)", keeping: request)
        }
        return routes
    }

    /// An agent acts on their own conversations (or one nobody has); an editor on any.
    static func mayAct(_ session: ConsoleSession, on c: Conversation) -> Bool {
        session.role == .editor || (session.role == .agent && (c.agent == nil || c.agent == session.user))
    }
}

/// Actions of the care team: agents and editors (a viewer changes nothing). Behind `SignedIn` and `PostedForm`.
struct CareTeamOnly<Parent: RequestContext>: RouterMiddleware {
    typealias Context = ConsoleContext<Parent>
    let views: Views

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let session = try context.signedIn
        guard session.role == .editor || session.role == .agent else {
            return views.refusal("refused_role", language: Views.language(request), session: session, status: .forbidden)
        }
        return try await next(request, context)
    }
}
