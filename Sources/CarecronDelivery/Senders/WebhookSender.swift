import AsyncHTTPClient
import CarecronConfig
import CarecronDomain
import Crypto
import Foundation
import NIOHTTP1

/// POSTs each message as JSON (or as a body rendered from a template) to any URL, with an
/// `Idempotency-Key` header and an HMAC-SHA256 signature of the body, so that receivers can
/// check it came from us: `X-Carecron-Signature: sha256=<hex>`.
public struct WebhookSender: Sender {
    public let name: String
    public let limits: SenderLimits
    let url: String
    let headers: [(String, String)]
    let body: RequestTemplate?
    let secret: String?
    let bearerToken: String?
    let transport: HTTPTransport

    init(name: String, url: String, headers: [(String, String)], body: RequestTemplate?, secret: String?, bearerToken: String?,
         limits: SenderLimits, transport: HTTPTransport = HTTPTransport()) {
        self.name = name
        self.url = url
        self.headers = headers
        self.body = body
        self.secret = secret
        self.bearerToken = bearerToken
        self.limits = limits
        self.transport = transport
    }

    public static func signature(_ body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        let payload = body.map { Data($0.render(m, secrets: [:]).utf8) } ?? m.json
        var h = [("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", m.idempotencyKey),
                 ("User-Agent", "carecron")] + headers
        if let secret { h.append(("X-Carecron-Signature", Self.signature(payload, secret: secret))) }
        if let bearerToken { h.append(("Authorization", "Bearer \(bearerToken)")) }
        switch await transport.send(url: url, method: .POST, headers: h, body: payload, timeout: limits.timeout) {
        case .failure(let e): return e.outcome
        case .success(let reply):
            if let failure = HTTPTransport.classify(reply) { return failure }
            return .sent(providerId: reply.headers.first(name: "X-Message-Id") ?? JSONPath.value("id", in: reply.body))
        }
    }
}

/// `"type": "webhook"`.
enum WebhookPlugin: SenderPlugin {
    static let schema = SenderSchema(type: "webhook", keys: ["url", "headers", "body"] + SenderSchema.limitKeys,
                                     secrets: ["secret", "bearerToken"], channel: .webhook, receiptsNeed: ["secret"])

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        WebhookSender(name: s.name, url: try s.url("url"), headers: try s.headers(), body: try s.string("body").map(RequestTemplate.init),
                      secret: setup.secrets["secret"], bearerToken: setup.secrets["bearerToken"], limits: setup.limits)
    }
}
