import CarecronConfig
import CarecronDomain
import CarecronStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The HTTP API: health and metrics for ops, ingest for shop developers (bearer token), with the
/// same validation and normalisation as import, JSON errors naming the field, and a wake-up for
/// the scheduler so that a new unpaid order is planned at once.
public struct HTTPAPI: Sendable {
    public let store: Store
    public let runtime: RuntimeBox
    public let wakeup: Wakeup
    public let token: String
    public let webhookSecret: String?
    public let maxBody: Int
    public let health: ServiceHealth

    public init(store: Store, runtime: RuntimeBox, wakeup: Wakeup, token: String, webhookSecret: String? = nil, maxBody: Int = 64 * 1024,
                health: ServiceHealth = ServiceHealth()) {
        self.store = store
        self.health = health
        self.runtime = runtime
        self.wakeup = wakeup
        self.token = token
        self.webhookSecret = webhookSecret
        self.maxBody = maxBody
    }

    public func application(host: String, port: Int, log: Logger) -> some ApplicationProtocol {
        let router = Router()
        // First, so that it wraps every route and the not-found answer too.
        router.add(middleware: ErrorsAsJSON())
        router.get("/healthz") { _, _ in Self.json(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in
            let problems = await health.problems(store: store, runtime: runtime)
            guard problems.isEmpty else { return Self.json(.serviceUnavailable, ["status": "not ready", "reason": problems.joined(separator: "; ")]) }
            let rt = await runtime.current
            return Self.json(.ok, ["status": "ready", "jobs": "\(rt.jobs.count)", "configLoadedAt": ISO8601DateFormatter().string(from: rt.loadedAt)])
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: Metrics.emit())))
        }
        let v1 = router.group("/v1").add(middleware: BearerAuth(token: token))
        v1.put("/customers/:id") { request, context in try await self.put(.customers, request, context) }
        v1.put("/orders/:id") { request, context in try await self.put(.orders, request, context) }
        v1.delete("/customers/:id") { _, context in
            let id = try context.parameters.require("id")
            guard try store.forget(customerId: id) else { return Self.error(.notFound, field: "id", "no customer \(id)") }
            await wakeup.ring()
            return Self.json(.ok, ["id": id, "outcome": "forgotten"])
        }
        for event in [OrderEvents.Event.payment, .delivery, .cancel] {
            v1.post("/orders/:id/\(event.rawValue)") { request, context in try await self.orderEvent(event, request, context) }
        }
        if let secret = webhookSecret {
            for platform in ["shopify", "haravan"] {
                router.post("/webhooks/\(platform)") { request, _ in try await self.platformWebhook(request, secret: secret) }
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "carecron"), logger: log)
    }

    /// The body as the text fields of an import record (numbers and booleans as text).
    func fields(_ request: Request) async throws -> [String: String]? {
        let buffer = try await request.body.collect(upTo: maxBody)
        guard buffer.readableBytes > 0 else { return [:] }
        guard let value = try? JSONReader.parse(Data(buffer: buffer)), case .object(let pairs) = value else { return nil }
        var out: [String: String] = [:]
        for (k, v) in pairs {
            guard let text = v.fieldText else { return nil }
            out[k] = text
        }
        return out
    }

    func put(_ kind: ImportKind, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard var f = try await fields(request) else { return Self.error(.badRequest, field: "body", "must be a JSON object of strings and numbers") }
        if let bodyId = f["id"], !bodyId.isEmpty, bodyId != id { return Self.error(.badRequest, field: "id", "\"\(bodyId)\" differs from the path's \"\(id)\"") }
        f["id"] = id
        let rt = await runtime.current
        let writer = RecordWriter(normaliser: RowNormaliser(clock: rt.config.clock), holdFor: rt.config.holdFor)
        do {
            let record = f
            let outcome = try await store.db.write { try writer.upsert(kind, record, db: $0, now: Int(Date().timeIntervalSince1970)) }
            if outcome != .unchanged { await wakeup.ring() }
            return Self.json(outcome == .inserted ? .created : .ok, ["id": id, "outcome": outcome.rawValue])
        } catch let p as FieldProblem {
            return Self.error(.badRequest, field: p.field, p.reason)
        }
    }

    func orderEvent(_ event: OrderEvents.Event, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let f = try await fields(request) else { return Self.error(.badRequest, field: "body", "must be a JSON object") }
        let rt = await runtime.current
        let key = event == .payment ? "paid_at" : event == .delivery ? "delivered_at" : "cancelled_at"
        var at = Date()
        if let text = f[key], !text.isEmpty {
            guard let d = InstantFormat.parse(text, clock: rt.config.clock) else { return Self.error(.badRequest, field: key, "\"\(text)\" is not a time") }
            at = d
        }
        do {
            let outcome = try OrderEvents(store: store, holdFor: rt.config.holdFor).apply(event, orderId: id, at: at)
            await wakeup.ring()
            return Self.json(.ok, ["id": id, "outcome": outcome.rawValue])
        } catch OrderEvents.Failure.notFound(let why) {
            return Self.error(.notFound, field: "id", why)
        } catch OrderEvents.Failure.conflict(let why) {
            return Self.error(.conflict, field: "status", why)
        }
    }

    func platformWebhook(_ request: Request, secret: String) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: maxBody))
        func header(_ names: [String]) -> String? {
            names.lazy.compactMap { HTTPField.Name($0).flatMap { request.headers[$0] } }.first
        }
        let rt = await runtime.current
        let outcome = try PlatformWebhooks(store: store, secret: secret).handle(
            body: body, signature: header(PlatformWebhooks.signatureHeaders), topic: header(PlatformWebhooks.topicHeaders),
            webhookId: header(PlatformWebhooks.idHeaders), config: rt.config)
        switch outcome {
        case .applied:
            await wakeup.ring()
            return Self.json(.ok, ["outcome": "applied"])
        case .duplicate: return Self.json(.ok, ["outcome": "duplicate"])
        case .ignored(let why): return Self.json(.ok, ["outcome": "ignored", "reason": why])
        case .unauthorized: return Self.error(.unauthorized, field: "X-Shopify-Hmac-Sha256", "the body's HMAC-SHA256 does not match the shared secret")
        case .invalid(let field, let reason): return Self.error(.badRequest, field: field, reason)
        case .conflict(let why): return Self.error(.conflict, field: "status", why)
        case .notFound(let why): return Self.error(.notFound, field: "id", why)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    static func error(_ status: HTTPResponse.Status, field: String, _ reason: String) -> Response {
        json(status, ["error": status.reasonPhrase.lowercased(), "field": field, "reason": reason])
    }
}

/// Every refusal a JSON error with a reason, also those Hummingbird makes itself (no such
/// route, a body over the limit): clients should never have to guess from an empty 404.
struct ErrorsAsJSON: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as HTTPError {
            let reason = e.body ?? (e.status == .notFound ? "no such route: \(request.method) \(request.uri.path)" : e.status.reasonPhrase)
            return HTTPAPI.error(e.status, field: e.status == .notFound ? "path" : "request", reason)
        }
    }
}

/// `Authorization: Bearer <token>`, compared in constant time.
struct BearerAuth: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        guard !token.isEmpty, ConstantTime.equal(given, token) else {
            return HTTPAPI.error(.unauthorized, field: "Authorization", "a bearer token is required (Authorization: Bearer …)")
        }
        return try await next(request, context)
    }
}

enum ConstantTime {
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}
