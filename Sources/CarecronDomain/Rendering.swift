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
