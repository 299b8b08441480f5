import Foundation

/// The languages carecron speaks to people in.
public enum Language: String, Sendable, CaseIterable {
    case vi, en
}

/// A sentence for a person, kept as its catalogue code and its values until it is shown: the
/// console says it in the page's language, the log and the CLI in English.
public struct Sentence: Sendable, Hashable, CustomStringConvertible {
    /// One value of a sentence, said in the language of the sentence around it.
    public enum Value: Sendable, Hashable {
        case text(String)
        case number(Int)
        /// A shop time: "T3 01/12/2026 20:00" in Vietnamese, as files write it in English.
        case instant(vi: String, en: String)
        case span(TimeSpan)
        /// Another entry of the catalogue (an order's status, a channel's name).
        case word(String)
        case list([String])
        /// Several sentences, one after the other ("…; …").
        case sentences([Sentence])
    }

    public let code: String
    public let values: [String: Value]

    public init(_ code: String, _ values: [String: Value] = [:]) {
        self.code = code
        self.values = values
    }

    /// The template with each `{name}` filled in one pass: a value that itself holds "{…}" (an
    /// order id, a customer's words) is never filled again.
    public func text(_ language: Language) -> String {
        let said = Sentence(code, values.mapValues { value in
            if case .text = value { return value }
            return .text(Self.say(value, language))
        })
        return said.filling(Catalogue.template(code, language))
    }

    /// English: the form of the log, the CLI and `simulate --explain`.
    public var description: String { text(.en) }

    static func say(_ value: Value, _ language: Language) -> String {
        switch value {
        case .text(let s): return s
        case .number(let n): return String(n)
        case .instant(let vi, let en): return language == .vi ? vi : en
        case .span(let span): return language == .vi ? VietnameseFormat.span(span) : span.description
        case .word(let code): return Catalogue.template(code, language)
        case .list(let items): return items.joined(separator: ", ")
        case .sentences(let all): return all.map { $0.text(language) }.joined(separator: "; ")
        }
    }
}

extension Sentence.Value {
    /// A shop instant: its weekday, date and time in Vietnamese, as files write it in English.
    public static func at(_ instant: Date, _ clock: ShopClock) -> Self {
        .instant(vi: "\(VietnameseFormat.weekdayDate(clock.localDate(of: instant))) \(clock.timeOfDay(of: instant))",
                 en: InstantFormat.format(instant, clock: clock))
    }

    public static func channels(_ channels: [ChannelKind]) -> Self { .list(channels.map(\.rawValue)) }
}

extension VietnameseFormat {
    /// "T3 01/12/2026": the weekday as a Vietnamese calendar writes it, then the date.
    public static func weekdayDate(_ d: LocalDate) -> String {
        "\(weekdays[d.weekday]) \(date(d))"
    }

    /// The weekdays from Sunday: CN, T2 … T7.
    public static let weekdays = ["CN", "T2", "T3", "T4", "T5", "T6", "T7"]

    /// 90 minutes → "1 giờ 30 phút".
    public static func span(_ s: TimeSpan) -> String {
        if s.seconds == 0 { return "0 phút" }
        var rest = s.seconds, parts: [String] = []
        for (unit, size) in [("ngày", 86_400), ("giờ", 3600), ("phút", 60), ("giây", 1)] where rest >= size {
            parts.append("\(rest / size) \(unit)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}

extension Sentence {
    /// "order X was cancelled" / "returned".
    static func withdrawn(_ order: OrderSnapshot) -> Sentence {
        Sentence("skip.order_withdrawn", ["order": .text(order.id), "status": .word("order_status.\(order.status.rawValue)")])
    }
}

extension Sentence: Codable {
    private enum Keys: String, CodingKey { case code, values }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(try c.decode(String.self, forKey: .code), try c.decodeIfPresent([String: Value].self, forKey: .values) ?? [:])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(code, forKey: .code)
        if !values.isEmpty { try c.encode(values, forKey: .values) }
    }

    /// The sentence as a record keeps it (the audit log): JSON, read back by `init(stored:)`.
    public var stored: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? description
    }

    /// A stored sentence, or nil for text written before sentences were kept (shown as it is).
    public init?(stored: String) {
        guard stored.hasPrefix("{"), let s = try? JSONDecoder().decode(Sentence.self, from: Data(stored.utf8)), Catalogue.has(s.code) else { return nil }
        self = s
    }
}

extension Sentence.Value: Codable {}

extension Sentence {
    /// `{name}`s of a text filled in one pass (the console's words use it too).
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        Sentence("", values.mapValues { .text($0) }).filling(template)
    }

    func filling(_ template: String) -> String {
        var out = "", rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] {
                out += Self.say(value, .en)
                rest = rest[rest.index(after: close)...]
            } else {
                out.append("{")
                rest = rest[rest.index(after: open)...]
            }
        }
        return out + rest
    }
}
