import Foundation

/// Zalo's limits on a ZNS template's parameters (issue 27), by the type a parameter is
/// declared with when the template is registered (developers.zalo.me, ZNS "Loại tham số"): a
/// value longer than its type allows is refused by Zalo at sending, when the wording can no
/// longer be fixed. carecron checks it when the template is written (`validate`, the console)
/// and again before sending (the sender refuses, with these words, not Zalo's error code).
public enum ZaloParamType: String, Sendable, CaseIterable, Codable {
    case name, phone, address, code, label, status, contact, title, product, amount, time, otp, url, currency, transferNote

    /// The longest value Zalo accepts, in characters.
    public var maxLength: Int {
        switch self {
        case .name, .code, .label, .status: 30
        case .phone: 15
        case .address, .product, .url: 200
        case .contact: 50
        case .title: 5
        case .amount, .time: 20
        case .otp: 10
        case .currency: 12
        case .transferNote: 90
        }
    }
}

/// One parameter's limit: from its declared type, or from the template's own `listParams`
/// (Zalo's template information, saved to a file).
public struct ZaloParamLimit: Sendable, Equatable, Codable {
    public var maxLength: Int
    public var type: ZaloParamType?

    public init(maxLength: Int, type: ZaloParamType? = nil) {
        self.maxLength = maxLength
        self.type = type
    }

    public init(_ type: ZaloParamType) { self.init(maxLength: type.maxLength, type: type) }

    /// Why `value` of parameter `param` would be refused, if it would.
    public func problem(_ param: String, _ value: String) -> Sentence? {
        let length = value.count
        guard length > maxLength else { return nil }
        let what: Sentence.Value = type.map { .word("zalo_type.\($0.rawValue)") } ?? .text(param)
        return Sentence("check.zalo_param_long", ["param": .text(param), "value": .text(value), "length": .number(length),
                                                    "max": .number(maxLength), "what": what])
    }

    /// Zalo's template information (`/template/info`'s answer, or its `data`): each of
    /// `listParams`' `name` with its `maxLength`.
    public static func fromTemplateInfo(_ json: JSONValue) -> [String: ZaloParamLimit]? {
        let list = json.value(at: ["data", "listParams"]) ?? json["listParams"]
        guard case .array(let params)? = list else { return nil }
        var out: [String: ZaloParamLimit] = [:]
        for p in params {
            guard let name = p["name"]?.fieldText, let max = p["maxLength"]?.fieldText.flatMap(Int.init) else { return nil }
            out[name] = ZaloParamLimit(maxLength: max)
        }
        return out
    }
}

extension Rendering {
    /// The first parameter Zalo would refuse for its length, said as `validate` says it.
    public func zaloParamProblem() -> Sentence? {
        guard let limits = paramLimits else { return nil }
        for (param, value) in params.sorted(by: { $0.key < $1.key }) {
            if let problem = limits[param]?.problem(param, value) { return problem }
        }
        return nil
    }
}
