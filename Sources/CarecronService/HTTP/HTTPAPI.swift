import CarecronConfig
import CarecronConsole
import CarecronDomain
import CarecronStorage
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The HTTP API: one router over route collections (ops, ingest `/v1`, platform webhooks), each
/// in its own file; a new capability (the console) adds its own collection here.
public struct HTTPAPI: Sendable {
    public let store: any CareStore
    public let runtime: RuntimeBox
    public let wakeup: Wakeup
    public let token: String
    public let webhookSecret: String?
    public let maxBody: Int
    public let health: ServiceHealth
    public let clock: WallClock
    /// The marketers' console under /console, when it is served.
    public let console: Console?

    public init(store: any CareStore, runtime: RuntimeBox, wakeup: Wakeup, token: String, webhookSecret: String? = nil, maxBody: Int = 64 * 1024,
                health: ServiceHealth = ServiceHealth(), clock: WallClock = .system, console: Console? = nil) {
        self.store = store
        self.console = console
        self.clock = clock
        self.health = health
        self.runtime = runtime
        self.wakeup = wakeup
        self.token = token
        self.webhookSecret = webhookSecret
        self.maxBody = maxBody
    }

    /// What every route collection works with.
    var shared: APIShared { APIShared(store: store, runtime: runtime, wakeup: wakeup, health: health, maxBody: maxBody, clock: clock) }

    /// Every route, for the server and for in-process tests (HummingbirdTesting).
    public func router() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        // First, so that it wraps every route and the not-found answer too.
        router.add(middleware: ErrorsAsJSON())
        router.addRoutes(OpsRoutes(api: shared).routes)
        router.addRoutes(IngestRoutes(api: shared, token: token).routes, atPath: "/v1")
        router.addRoutes(CampaignRoutes(api: shared, token: token).routes, atPath: "/v1")
        router.addRoutes(ReportRoutes(api: shared, token: token).routes, atPath: "/v1")
        router.addRoutes(CareTeamRoutes(api: shared, token: token).routes, atPath: "/v1")
        router.addRoutes(ReceiptRoutes(api: shared).routes, atPath: "/webhooks")
        let surveys = SurveyRoutes(api: shared, token: token)
        router.addRoutes(surveys.tools, atPath: "/v1")
        router.addRoutes(surveys.page)
        if let webhookSecret {
            router.addRoutes(PlatformWebhookRoutes(api: shared, secret: webhookSecret).routes, atPath: "/webhooks")
        }
        console?.mount(on: router)
        return router
    }

    public func application(host: String, port: Int, limits: ConnectionLimits = ConnectionLimits(), log: Logger) -> some ApplicationProtocol {
        HTTPServing.application(router: router(), host: host, port: port, limits: limits, log: log)
    }
}

/// The service's parts the routes use: the store, the running configuration, the scheduler's
/// wake-up, its health, the body limit and the clock.
struct APIShared: Sendable {
    let store: any CareStore
    let runtime: RuntimeBox
    let wakeup: Wakeup
    let health: ServiceHealth
    let maxBody: Int
    let clock: WallClock
}

/// A request body as the text fields of an import record (numbers and booleans as text).
enum RequestFields {
    static func read(_ request: Request, maxBody: Int, refusal: String = "must be a JSON object of strings and numbers") async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: maxBody)
        guard buffer.readableBytes > 0 else { return [:] }
        guard let value = try? JSONReader.parse(Data(buffer: buffer)), case .object(let pairs) = value else {
            throw APIError(.badRequest, field: "body", refusal)
        }
        var out: [String: String] = [:]
        for (k, v) in pairs {
            guard let text = v.fieldText else { throw APIError(.badRequest, field: "body", refusal) }
            out[k] = text
        }
        return out
    }
}

