import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird

/// `/v1` for shop developers (bearer token): customers and orders with the import's validation
/// and normalisation, order events with their state rules, erasure; each change wakes the
/// scheduler so that a new unpaid order is planned at once.
struct IngestRoutes {
    let api: APIShared
    let token: String

    struct Outcome: ResponseEncodable {
        let id: String
        let outcome: String
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self).add(middleware: BearerAuth(token: token))
        routes.put("/customers/:id") { request, context in try await put(.customers, request, context) }
        routes.put("/orders/:id") { request, context in try await put(.orders, request, context) }
        routes.delete("/customers/:id") { _, context in
            let id = try context.pathParameter("id")
            guard try await api.store.forget(customerId: id, now: api.clock.now()) else { throw APIError(.notFound, field: "id", "no customer \(id)") }
            await api.wakeup.ring()
            return Outcome(id: id, outcome: "forgotten")
        }
        for event in [OrderEvents.Event.payment, .delivery, .cancel] {
            routes.post("/orders/:id/\(event.rawValue)") { request, context in try await orderEvent(event, request, context) }
        }
        return routes
    }

    func put(_ kind: ImportKind, _ request: Request, _ context: APIRequestContext) async throws -> WithStatus<Outcome> {
        let id = try context.pathParameter("id")
        var f = try await RequestFields.read(request, maxBody: api.maxBody)
        if let bodyId = f["id"], !bodyId.isEmpty, bodyId != id { throw APIError(.badRequest, field: "id", "\"\(bodyId)\" differs from the path's \"\(id)\"") }
        f["id"] = id
        let rt = await api.runtime.current
        do {
            let outcome = try await api.store.upsert(kind, f, clock: rt.config.clock, holdFor: rt.config.holdFor, now: api.clock.now())
            if outcome != .unchanged { await api.wakeup.ring() }
            return WithStatus(status: outcome == .inserted ? .created : .ok, body: Outcome(id: id, outcome: outcome.rawValue))
        } catch let p as FieldProblem {
            throw APIError(.badRequest, field: p.field, p.reason, code: p.code)
        }
    }

    func orderEvent(_ event: OrderEvents.Event, _ request: Request, _ context: APIRequestContext) async throws -> Outcome {
        let id = try context.pathParameter("id")
        let f = try await RequestFields.read(request, maxBody: api.maxBody, refusal: "must be a JSON object")
        let rt = await api.runtime.current
        let key = event == .payment ? "paid_at" : event == .delivery ? "delivered_at" : "cancelled_at"
        var at = api.clock.now()
        if let text = f[key], !text.isEmpty {
            guard let d = InstantFormat.parse(text, clock: rt.config.clock) else { throw APIError(.badRequest, field: key, "\"\(text)\" is not a time") }
            at = d
        }
        do {
            let outcome = try await api.store.apply(event, orderId: id, at: at, holdFor: rt.config.holdFor, now: api.clock.now())
            await api.wakeup.ring()
            return Outcome(id: id, outcome: outcome.rawValue)
        } catch OrderEvents.Failure.notFound(let why) {
            throw APIError(.notFound, field: "id", why)
        } catch OrderEvents.Failure.conflict(let why) {
            throw APIError(.conflict, field: "status", why)
        }
    }
}
