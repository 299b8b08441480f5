import AsyncHTTPClient
import CarecronConfig
import CarecronDomain
import Crypto
import Foundation
import NIOHTTP1

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
    /// The secret an eSMS-style delivery report carries in its callback URL (`?token=`).
    let receiptToken: String?
    /// eSMS's short-code MO forwarding: the CP id and the private key its `sign` is made with.
    let shortCode: (cpid: String, key: String)?
    let transport: HTTPTransport

    init(name: String, url: String, method: HTTPMethod, headers: [(String, String)], body: RequestTemplate, contentType: String,
         successPath: String?, successValue: String?, idPath: String?, unaccented: Bool, brandname: String,
         secrets: [String: String], basicAuth: (RequestTemplate, RequestTemplate)?, limits: SenderLimits,
         receiptToken: String? = nil, shortCode: (cpid: String, key: String)? = nil, transport: HTTPTransport = HTTPTransport()) {
        self.receiptToken = receiptToken
        self.shortCode = shortCode
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

/// `"type": "sms-http"`: eSMS, SpeedSMS, Twilio-style gateways (README).
enum SMSHTTPPlugin: SenderPlugin {
    static let schema = SenderSchema(type: "sms-http",
                                     keys: ["url", "method", "headers", "body", "contentType", "successPath", "successValue", "idPath",
                                            "unaccented", "brandname"] + SenderSchema.limitKeys + ["username", "cpid"],
                                     secrets: ["apiKey", "password", "secretKey", "authToken", "receiptToken", "moPrivateKey"],
                                     receiptsNeed: ["receiptToken"])

    static func make(_ s: SenderSettings, _ setup: SenderSetup) throws -> any Sender {
        let method = HTTPMethod(rawValue: (try s.string("method") ?? "POST").uppercased())
        var basic: (RequestTemplate, RequestTemplate)?
        if let user = try s.string("username") {
            basic = (try RequestTemplate(user), try RequestTemplate(setup.secrets["password"] == nil ? "x" : "{{secrets.password}}"))
        }
        return SMSHTTPSender(name: s.name, url: try s.url("url"), method: method, headers: try s.headers(),
                             body: try RequestTemplate(try s.required("body")), contentType: try s.string("contentType") ?? "json",
                             successPath: try s.string("successPath"), successValue: try s.string("successValue"),
                             idPath: try s.string("idPath"), unaccented: try s.bool("unaccented") ?? true,
                             brandname: try s.string("brandname") ?? "", secrets: setup.secrets, basicAuth: basic, limits: setup.limits,
                             receiptToken: setup.secrets["receiptToken"],
                             shortCode: try s.string("cpid").flatMap { cpid in setup.secrets["moPrivateKey"].map { (cpid, $0) } })
    }
}
