import CarecronDomain
import CarecronStorage
import Foundation

/// An occasion's figures in one shape for `campaign status` and `GET /v1/campaigns/NAME`.
public struct CampaignReport: Sendable {
    public let fields: [(String, JSONValue)]

    public init(_ o: CampaignOccurrence, _ s: CampaignStatus) {
        let run = s.run
        func n(_ v: Int) -> JSONValue { .number(Double(v)) }
        var skipped = run?.skipped ?? [:]
        skipped[SkipCategory.optedOut.rawValue, default: 0] += run?.optedOut ?? 0
        let state: String
        switch run?.state {
        case nil: state = "scheduled"
        case .writing?: state = run!.complete ? "written" : "writing"
        case .some(let other): state = other.rawValue
        }
        var f: [(String, JSONValue)] = [("campaign", .string(o.id)), ("occasion", .string(o.occasion.description)), ("state", .string(state))]
        f.append(("audience", n(run?.audience ?? 0)))
        f.append(("written", n(run?.written ?? 0)))
        f.append(("messages", n(s.messages.values.reduce(0, +))))
        for state in OutboxState.allCases { f.append((state.rawValue, n(s.messages[state] ?? 0))) }
        f.append(("skipped", .ordered(SkipCategory.allCases.compactMap { c in skipped[c.rawValue].map { (c.rawValue, n($0)) } })))
        fields = f
    }

    public var json: JSONValue { .ordered(fields) }

    /// A value as `status` prints it: objects as "key n, key n".
    public static func plain(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .object(let pairs): return pairs.isEmpty ? "none" : pairs.map { "\($0.key) \($0.value.encoded)" }.joined(separator: ", ")
        default: return v.encoded
        }
    }
}
