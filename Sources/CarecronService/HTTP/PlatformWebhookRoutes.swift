import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird

/// `/webhooks/shopify` and `/webhooks/haravan`: signed by the platform (no bearer token), applied
/// by `PlatformWebhooks`.
struct PlatformWebhookRoutes {
    let api: APIShared
    let secret: String

    struct Outcome: ResponseEncodable {
        let outcome: String
        var reason: String?
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        for platform in ["shopify", "haravan"] {
            routes.post("/\(platform)") { request, _ in try await receive(request, from: platform) }
        }
        return routes
    }

    func receive(_ request: Request, from platform: String) async throws -> Outcome {
        let body = Data(buffer: try await request.body.collect(upTo: api.maxBody))
        func header(_ names: [String]) -> String? {
            names.lazy.compactMap { HTTPField.Name($0).flatMap { request.headers[$0] } }.first
        }
        let rt = await api.runtime.current
        let outcome = try await PlatformWebhooks(store: api.store, secret: secret, clock: api.clock).handle(
            platform: platform, body: body, signature: header(PlatformWebhooks.signatureHeaders), topic: header(PlatformWebhooks.topicHeaders),
            webhookId: header(PlatformWebhooks.idHeaders), config: rt.config)
        switch outcome {
        case .applied:
            await api.wakeup.ring()
            return Outcome(outcome: "applied")
        case .duplicate: return Outcome(outcome: "duplicate")
        case .ignored(let why): return Outcome(outcome: "ignored", reason: why)
        case .unauthorized: throw APIError(.unauthorized, field: "X-Shopify-Hmac-Sha256", "the body's HMAC-SHA256 does not match the shared secret")
        case .invalid(let field, let reason): throw APIError(.badRequest, field: field, reason)
        case .conflict(let why): throw APIError(.conflict, field: "status", why)
        case .notFound(let why): throw APIError(.notFound, field: "id", why)
        }
    }
}
