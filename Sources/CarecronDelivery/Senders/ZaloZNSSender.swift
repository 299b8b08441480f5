import AsyncHTTPClient
import CarecronConfig
import CarecronDomain
import Crypto
import Foundation
import NIOHTTP1

/// Zalo Notification Service, following its published API: `POST {baseURL}/message/template`
/// with an `access_token` header and `phone` (84…), `template_id`, `template_data`,
/// `tracking_id` (our idempotency key). Success is `"error": 0` with `data.msg_id`.
public actor ZaloZNSSender: Sender {
    public nonisolated let name: String
    public nonisolated let limits: SenderLimits
    let baseURL: String
    let accessToken: String
    let retryCodes: Set<Int>
    /// The app and the OA's secret key, which sign Zalo's events (receipts) to this sender.
    nonisolated let appId: String?
    nonisolated let oaSecretKey: String?
    let transport: HTTPTransport
    /// The OA's remaining daily quota, from the last reply.
    private(set) var remainingQuota: Int?
    private var stopped: String?

    /// -124 invalid token, -108 invalid phone, -118 no Zalo account, -131 unapproved template,
    /// and the codes that mean "not now" (unknown error, quota, night-time): retried.
    public static let defaultRetryCodes: Set<Int> = [-100, -133, -144]

    init(name: String, baseURL: String, accessToken: String, retryCodes: Set<Int>, limits: SenderLimits,
         appId: String? = nil, oaSecretKey: String? = nil, transport: HTTPTransport = HTTPTransport()) {
        self.appId = appId
        self.oaSecretKey = oaSecretKey
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
        // Zalo would refuse it with a bare code; said here in words, before the quota is spent.
        if let problem = m.rendering.zaloParamProblem() { return .rejected("zalo.params: \(problem)") }
        if remainingQuota == 0 { return .retry("Zalo daily quota used up", after: 3600) }
        let phone = m.to.hasPrefix("+") ? String(m.to.dropFirst()) : m.to
        var body: [String: Any] = ["phone": phone, "template_id": templateId, "template_data": m.params, "tracking_id": m.idempotencyKey]
        if m.development { body["mode"] = "development" }
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

/// `"type": "zalo-zns"`.
enum ZaloZNSPlugin: SenderPlugin {
    static let schema = SenderSchema(type: "zalo-zns", keys: ["baseURL", "retryCodes", "appId"] + SenderSchema.limitKeys,
                                     secrets: ["accessToken", "oaSecretKey"], channel: .zalo, receiptsNeed: ["appId", "oaSecretKey"])

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        guard let token = setup.secrets["accessToken"] else { throw SenderSetupError("accessToken is required ({\"env\": …})") }
        let base = try s.string("baseURL") ?? "https://business.openapi.zalo.me"
        let codes = try s.ints("retryCodes").map(Set.init) ?? ZaloZNSSender.defaultRetryCodes
        return ZaloZNSSender(name: s.name, baseURL: base, accessToken: token, retryCodes: codes, limits: setup.limits,
                             appId: try s.string("appId"), oaSecretKey: setup.secrets["oaSecretKey"])
    }
}
