import AsyncHTTPClient
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

/// An SMS gateway reached by HTTP, shaped entirely by configuration: URL, method, headers,
/// body template, how to read success and the provider's id from the reply. eSMS-style JSON,
/// SpeedSMS-style Basic auth and Twilio-style form posts all fit (README, examples in systemd/).
public struct SMSHTTPSender: Sender {
    public let name: String
    public let limits: SenderLimits
    let url: String
    let method: HTTPMethod
    let headers: [(String, String)]
    let body: RequestTemplate
    let contentType: String
    let successPath: String?
    let successValue: String?
    let idPath: String?
    let unaccented: Bool
    let brandname: String
    let secrets: [String: String]
    let basicAuth: (RequestTemplate, RequestTemplate)?
    let transport: HTTPTransport

    init(name: String, url: String, method: HTTPMethod, headers: [(String, String)], body: RequestTemplate, contentType: String,
         successPath: String?, successValue: String?, idPath: String?, unaccented: Bool, brandname: String,
         secrets: [String: String], basicAuth: (RequestTemplate, RequestTemplate)?, limits: SenderLimits,
         transport: HTTPTransport = HTTPTransport()) {
        self.name = name
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.contentType = contentType
        self.successPath = successPath
        self.successValue = successValue
        self.idPath = idPath
        self.unaccented = unaccented
        self.brandname = brandname
        self.secrets = secrets
        self.basicAuth = basicAuth
        self.limits = limits
        self.transport = transport
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        var m = m
        if unaccented { m.text = MessageRules.unaccented(m.text) }
        let seg = MessageRules.smsSegments(m.text)
        let extra = ["brandname": brandname, "segments": String(seg.segments)]
        let payload = Data(body.render(m, secrets: secrets, extra: extra).utf8)
        var h = [("Content-Type", contentType == "form" ? "application/x-www-form-urlencoded" : "application/json; charset=utf-8"),
                 ("User-Agent", "carecron")] + headers.map { ($0.0, RequestTemplate.renderHeader($0.1, m, secrets)) }
        if let (user, password) = basicAuth {
            let token = Data("\(user.render(m, secrets: secrets)):\(password.render(m, secrets: secrets))".utf8).base64EncodedString()
            h.append(("Authorization", "Basic \(token)"))
        }
        switch await transport.send(url: url, method: method, headers: h, body: method == .GET ? nil : payload, timeout: limits.timeout) {
        case .failure(let e): return e.outcome
        case .success(let reply):
            if let failure = HTTPTransport.classify(reply) { return failure }
            if let path = successPath {
                let got = JSONPath.value(path, in: reply.body)
                if got != (successValue ?? "") {
                    return .rejected("gateway answered \(path)=\(got ?? "nothing"): \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
                }
            }
            return .sent(providerId: idPath.flatMap { JSONPath.value($0, in: reply.body) })
        }
    }
}

extension RequestTemplate {
    static func renderHeader(_ value: String, _ m: OutgoingMessage, _ secrets: [String: String]) -> String {
        guard value.contains("{{") else { return value }
        return (try? RequestTemplate(value))?.render(m, secrets: secrets) ?? value
    }
}

/// Zalo Notification Service, following its published API: `POST {baseURL}/message/template`
/// with an `access_token` header and `phone` (84…), `template_id`, `template_data`,
/// `tracking_id` (our idempotency key). Success is `"error": 0` with `data.msg_id`.
public actor ZaloZNSSender: Sender {
    public nonisolated let name: String
    public nonisolated let limits: SenderLimits
    let baseURL: String
    let accessToken: String
    let retryCodes: Set<Int>
    let transport: HTTPTransport
    /// The OA's remaining daily quota, from the last reply.
    private(set) var remainingQuota: Int?
    private var stopped: String?

    /// -124 invalid token, -108 invalid phone, -118 no Zalo account, -131 unapproved template,
    /// and the codes that mean "not now" (unknown error, quota, night-time): retried.
    public static let defaultRetryCodes: Set<Int> = [-100, -133, -144]

    init(name: String, baseURL: String, accessToken: String, retryCodes: Set<Int>, limits: SenderLimits,
         transport: HTTPTransport = HTTPTransport()) {
        self.name = name
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.accessToken = accessToken
        self.retryCodes = retryCodes
        self.limits = limits
        self.transport = transport
    }

    public func send(_ m: OutgoingMessage) async -> SendOutcome {
        if let stopped { return .stopSender(stopped) }
        guard let templateId = m.templateId, !templateId.isEmpty else {
            return .misconfigured("no Zalo template id in the job's zalo form")
        }
        if remainingQuota == 0 { return .retry("Zalo daily quota used up", after: 3600) }
        let phone = m.to.hasPrefix("+") ? String(m.to.dropFirst()) : m.to
        let body: [String: Any] = ["phone": phone, "template_id": templateId, "template_data": m.params, "tracking_id": m.idempotencyKey]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        let headers = [("Content-Type", "application/json"), ("access_token", accessToken)]
        switch await transport.send(url: baseURL + "/message/template", method: .POST, headers: headers, body: data, timeout: limits.timeout) {
        case .failure(let e): return e.outcome
        case .success(let reply):
            if let failure = HTTPTransport.classify(reply) { return failure }
            guard let code = JSONPath.value("error", in: reply.body).flatMap(Int.init) else {
                return .unknown("Zalo reply without an error code: \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
            }
            let message = JSONPath.value("message", in: reply.body) ?? ""
            if let q = JSONPath.value("data.quota.remainingQuota", in: reply.body).flatMap(Int.init) { remainingQuota = q }
            switch code {
            case 0: return .sent(providerId: JSONPath.value("data.msg_id", in: reply.body))
            case -124:
                stopped = "Zalo access token invalid (-124): \(message)"
                return .stopSender(stopped!)
            case -108, -118: return .rejected("Zalo \(code): \(message)")
            case -131: return .misconfigured("Zalo template not approved (-131): \(message)")
            case _ where retryCodes.contains(code): return .retry("Zalo \(code): \(message)", after: nil)
            default: return .rejected("Zalo \(code): \(message)")
            }
        }
    }
}
