import Foundation

/// One rendering of a message on one channel; the outbox keeps the others for fallback.
public struct Rendering: Codable, Sendable, Equatable {
    public var channel: String
    public var to: String
    public var subject: String?
    public var text: String
    public var params: [String: String]
    public var templateId: String?
    /// An email's HTML form (the template's `email.html`), sent beside `text`.
    public var html: String?
    /// Seconds to wait for the delivery receipt before the next channel sends it (the job's
    /// `fallbackAfter` for this channel), when the job asks.
    public var awaitReceipt: Int?
    /// Zalo's length limits of the template's parameters, where the job declares them.
    public var paramLimits: [String: ZaloParamLimit]?

    public init(channel: String, to: String, subject: String?, text: String, params: [String: String], templateId: String?,
                html: String? = nil) {
        self.channel = channel
        self.to = to
        self.subject = subject
        self.text = text
        self.params = params
        self.templateId = templateId
        self.html = html
    }
}

extension Rendering {
    /// The channel as the domain names it.
    public var kind: ChannelKind? { ChannelKind(rawValue: channel) }
}

extension Rendering {
    /// The outbox's stored form, as JSONEncoder writes it (nil fields left out), written
    /// directly: encoding a million campaign messages through JSONEncoder cost more than inserting them.
    public var storedJSON: String { json.encoded }

    public static func storedJSON(_ list: [Rendering]) -> String {
        list.isEmpty ? "[]" : JSONValue.array(list.map(\.json)).encoded
    }

    var json: JSONValue {
        var pairs: [(String, JSONValue)] = [("channel", .string(channel)), ("to", .string(to))]
        if let subject { pairs.append(("subject", .string(subject))) }
        pairs.append(("text", .string(text)))
        pairs.append(("params", .ordered(params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        if let templateId { pairs.append(("templateId", .string(templateId))) }
        if let html { pairs.append(("html", .string(html))) }
        if let awaitReceipt { pairs.append(("awaitReceipt", .number(Double(awaitReceipt)))) }
        if let paramLimits, !paramLimits.isEmpty {
            pairs.append(("paramLimits", .ordered(paramLimits.sorted { $0.key < $1.key }.map { key, limit in
                var l: [(String, JSONValue)] = [("maxLength", .number(Double(limit.maxLength)))]
                if let t = limit.type { l.append(("type", .string(t.rawValue))) }
                return (key, .ordered(l))
            })))
        }
        return .ordered(pairs)
    }
}
