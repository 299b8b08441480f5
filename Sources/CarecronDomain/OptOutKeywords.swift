import Foundation

/// Which replies are opt-outs (issue 27; Decree 91/2020: the advertising SMS's own "soạn TC gửi
/// …" line must be honoured). A reply is compared whole, its accents, case, spaces and
/// punctuation ignored: "Từ chối", "tu  choi." and "TUCHOI" are one word; "TC QC" and "tcqc"
/// another. Only a reply that is the keyword counts: "tc giúp em đơn D01" is a question, not an
/// opt-out, and goes to the replies list as any reply.
public struct OptOutKeywords: Sendable, Equatable {
    /// Keywords that stop every message.
    public var all: [String]
    /// Keywords that stop advertising only.
    public var marketing: [String]

    public init(all: [String] = Self.defaultAll, marketing: [String] = Self.defaultMarketing) {
        self.all = all
        self.marketing = marketing
    }

    public static let defaultAll = ["TC", "HUY", "STOP", "TU CHOI"]
    public static let defaultMarketing = ["TC QC", "HUY QC", "TU CHOI QC"]

    /// The opt-out a reply asks for, if it is one.
    public func optOut(in reply: String) -> OptOut? {
        let said = Self.folded(reply)
        guard !said.isEmpty else { return nil }
        if marketing.contains(where: { Self.folded($0) == said }) { return .marketing }
        if all.contains(where: { Self.folded($0) == said }) { return .all }
        return nil
    }

    /// Upper case, without accents (đ → D), spaces or punctuation.
    public static func folded(_ text: String) -> String {
        String(String.UnicodeScalarView(MessageRules.unaccented(text).uppercased().unicodeScalars.filter {
            CharacterSet.alphanumerics.contains($0)
        }))
    }
}

/// What carecron says back to a customer who opted out, if the shop wants it said (config.json
/// `replies.confirmation`), by the provider's own way of answering where it has one.
public struct OptOutConfirmation: Sendable, Equatable {
    public var all: String?
    public var marketing: String?

    public init(all: String? = nil, marketing: String? = nil) {
        self.all = all
        self.marketing = marketing
    }

    public func text(for optOut: OptOut) -> String? {
        switch optOut {
        case .all: all
        case .marketing: marketing
        case .none: nil
        }
    }
}
