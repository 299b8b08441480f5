import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronService
import CarecronSQLite
import CarecronStorage
import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Testing

/// The API's route collections in process (HummingbirdTesting's router framework: no socket),
/// on a real SQLite file; ServiceTests keep the end-to-end checks through a running `carecron run`.
@Suite("HTTP routes, in process")
struct RouteTests {
    static func api() throws -> HTTPAPI {
        let dir = try TestSupport.shopFolder()
        let loaded = ConfigLoader.load(dir.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        let store = try Store(url: dir.appendingPathComponent("var/carecron.sqlite"))
        _ = try Importer(store: store, clock: config.clock).run(.customers, file: dir.appendingPathComponent("demo/customers.csv"))
        return HTTPAPI(store: store, runtime: RuntimeBox(Runtime(config: config, jobs: loaded.jobs, dispatcher: nil)), wakeup: Wakeup(),
                       token: "t0k3n", webhookSecret: "whs3cret", maxBody: 4096)
    }

    static func json(_ body: ByteBuffer) -> [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: String]) ?? [:]
    }

    static let auth: HTTPFields = [.authorization: "Bearer t0k3n"]

    @Test func opsRoutesAnswerWithoutAToken() async throws {
        try await Application(router: try Self.api().router()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok && Self.json(r.body) == ["status": "ok"])
            }
            try await client.execute(uri: "/readyz", method: .get) { r in
                #expect(r.status == .ok && Self.json(r.body)["status"] == "ready" && Self.json(r.body)["jobs"] == "13")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "text/plain; version=0.0.4")
            }
            try await client.execute(uri: "/nowhere", method: .get) { r in
                #expect(r.status == .notFound && Self.json(r.body) == ["error": "not found", "field": "path", "reason": "no such route: GET /nowhere"])
            }
        }
    }

    @Test func ingestNeedsTheTokenAndNamesTheField() async throws {
        try await Application(router: try Self.api().router()).test(.router) { client in
            try await client.execute(uri: "/v1/customers/X1", method: .put, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .unauthorized && Self.json(r.body)["field"] == "Authorization")
            }
            try await client.execute(uri: "/v1/customers/X1", method: .put, headers: Self.auth,
                                     body: ByteBuffer(string: "{\"full_name\": \"Ngô Thị Ánh\", \"phone\": \"12\"}")) { r in
                #expect(r.status == .badRequest && Self.json(r.body)["field"] == "phone" && Self.json(r.body)["error"] == "bad request")
            }
            try await client.execute(uri: "/v1/customers/X1", method: .put, headers: Self.auth, body: ByteBuffer(string: "not json")) { r in
                #expect(r.status == .badRequest && Self.json(r.body)["field"] == "body")
            }
            let order = "{\"customer_id\": \"C001\", \"placed_at\": \"2026-12-01T08:15:00+07:00\", \"amount\": 450000}"
            try await client.execute(uri: "/v1/orders/R1", method: .put, headers: Self.auth, body: ByteBuffer(string: order)) { r in
                #expect(r.status == .created && Self.json(r.body) == ["id": "R1", "outcome": "inserted"])
            }
            try await client.execute(uri: "/v1/orders/R1", method: .put, headers: Self.auth, body: ByteBuffer(string: order)) { r in
                #expect(r.status == .ok && Self.json(r.body)["outcome"] == "unchanged")
            }
            try await client.execute(uri: "/v1/orders/NOPE/payment", method: .post, headers: Self.auth, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .notFound && Self.json(r.body)["field"] == "id")
            }
            try await client.execute(uri: "/v1/customers/X2", method: .put, headers: Self.auth,
                                     body: ByteBuffer(string: "{\"full_name\": \"\(String(repeating: "a", count: 5000))\"}")) { r in
                #expect(r.status == .contentTooLarge && Self.json(r.body)["field"] == "request", "\(String(buffer: r.body))")
            }
        }
    }

    @Test func platformWebhooksAreSignedNotTokened() async throws {
        try await Application(router: try Self.api().router()).test(.router) { client in
            let body = "{\"id\": 1, \"email\": \"x@example.vn\"}"
            try await client.execute(uri: "/webhooks/shopify", method: .post,
                                     headers: [HTTPField.Name("X-Shopify-Topic")!: "customers/create", HTTPField.Name("X-Shopify-Hmac-Sha256")!: "forged"],
                                     body: ByteBuffer(string: body)) { r in
                #expect(r.status == .unauthorized && Self.json(r.body)["field"] == "X-Shopify-Hmac-Sha256")
            }
            let signature = PlatformWebhooks.signature(Data(body.utf8), secret: "whs3cret")
            try await client.execute(uri: "/webhooks/haravan", method: .post,
                                     headers: [HTTPField.Name("X-Haravan-Topic")!: "customers/create", HTTPField.Name("X-Haravan-Hmac-Sha256")!: signature],
                                     body: ByteBuffer(string: body)) { r in
                #expect(r.status == .ok && Self.json(r.body)["outcome"] == "ignored")
            }
        }
    }
}

/// Every refusal says what kind it is, by a code clients can map.
@Suite("Error codes")
struct ErrorCodeTests {
    /// `/v1/campaigns/NAME`: the status of the next occasion, pause and resume, cancel; the token
    /// required; an unknown name 404 with a suggestion, a job of another type 409.
    @Test func campaignsAreControlledThroughTheAPI() async throws {
        try await Application(router: try RouteTests.api().router()).test(.router) { client in
            try await client.execute(uri: "/v1/campaigns/tet-greeting", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/v1/campaigns/tet-greeting", method: .get, headers: RouteTests.auth) { r in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
                #expect(r.status == .ok)
                #expect((body?["campaign"] as? String)?.hasPrefix("tet-greeting:") == true && body?["state"] as? String == "scheduled", "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/v1/campaigns/tet-greeting/pause", method: .post, headers: RouteTests.auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("\"state\":\"paused\""), "\(String(buffer: r.body))")
            }
            // Pausing twice changes nothing.
            try await client.execute(uri: "/v1/campaigns/tet-greeting/pause", method: .post, headers: RouteTests.auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("\"state\":\"paused\""))
            }
            try await client.execute(uri: "/v1/campaigns/tet-greeting/resume", method: .post, headers: RouteTests.auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("\"state\":\"scheduled\""), "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/v1/campaigns/tet-greeting/cancel", method: .post, headers: RouteTests.auth) { r in
                #expect(r.status == .ok && String(buffer: r.body).contains("\"state\":\"cancelled\""), "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/v1/campaigns/tet-greting", method: .get, headers: RouteTests.auth) { r in
                #expect(r.status == .notFound && RouteTests.json(r.body)["reason"]?.contains("did you mean tet-greeting?") == true, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/v1/campaigns/birthday", method: .get, headers: RouteTests.auth) { r in
                #expect(r.status == .conflict && RouteTests.json(r.body)["field"] == "name")
            }
        }
    }

    @Test func refusalsCarryTheirKind() throws {
        #expect(throws: FieldProblem.self) { try RowNormaliser(clock: TestSupport.saigon).customer(["id": "A", "full_name": "Lan", "phone": "12"]) }
        do { _ = try RowNormaliser(clock: TestSupport.saigon).customer(["id": "A", "full_name": "Lan", "phone": "12"]) } catch {
            #expect(error.code == .invalidField && error.field == "phone")
        }
        #expect(OrderEvents.Failure.conflict("x").code == .conflict)
        #expect(APIError(.unauthorized, field: "Authorization", "x").code == .unauthorized)
        #expect(APIError(.badRequest, field: "phone", "x", code: .invalidField).code == .invalidField)
        #expect(Set(ErrorCode.allCases.map(\.rawValue)).count == ErrorCode.allCases.count)
    }
}
