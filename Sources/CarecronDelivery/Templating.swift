import CarecronDomain
import Foundation
import Mustache

/// Variables for request bodies that senders build from a template (webhook, sms-http): every
/// message field raw (`{{text}}`), JSON-quoted (`{{json.text}}`, quotes included) and
/// form-encoded (`{{form.text}}`), plus the sender's secrets (`{{secrets.apiKey}}`).
struct RequestTemplate: Sendable {
    let template: MustacheTemplate

    init(_ source: String) throws {
        template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + source)
    }

    func render(_ m: OutgoingMessage, secrets: [String: String], extra: [String: String] = [:]) -> String {
        var raw: [String: String] = [
            "id": String(m.id), "idempotencyKey": m.idempotencyKey, "job": m.job, "channel": m.channel, "to": m.to,
            "subject": m.subject ?? "", "text": m.text, "customerId": m.customerId ?? "", "orderIds": m.orderIds.joined(separator: ","),
            "templateId": m.templateId ?? "",
        ]
        if m.to.hasPrefix("+84") {
            raw["phone"] = m.to
            raw["phone84"] = String(m.to.dropFirst())
            raw["phoneLocal"] = "0" + m.to.dropFirst(3)
        }
        for (k, v) in extra { raw[k] = v }
        for (k, v) in secrets { raw["secrets.\(k)"] = v }
        var vars: [String: Any] = [:]
        var json: [String: Any] = [:], form: [String: Any] = [:], secretVars: [String: String] = [:], jsonSecrets: [String: String] = [:]
        var formSecrets: [String: String] = [:]
        for (k, v) in raw {
            if k.hasPrefix("secrets.") {
                let name = String(k.dropFirst(8))
                secretVars[name] = v
                jsonSecrets[name] = Self.jsonQuote(v)
                formSecrets[name] = Self.formEncode(v)
            } else {
                vars[k] = v
                json[k] = Self.jsonQuote(v)
                form[k] = Self.formEncode(v)
            }
        }
        vars["params"] = m.params
        json["params"] = String(decoding: (try? JSONSerialization.data(withJSONObject: m.params, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
        json["secrets"] = jsonSecrets
        form["secrets"] = formSecrets
        vars["secrets"] = secretVars
        vars["json"] = json
        vars["form"] = form
        return template.render(vars)
    }

    static func jsonQuote(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
