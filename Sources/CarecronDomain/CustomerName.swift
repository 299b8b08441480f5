import Foundation

public enum Gender: String, Sendable, CaseIterable, Codable {
    case female, male, unknown

    /// Reads the values shops put in their exports: female/male, f/m, nữ/nam; empty is unknown.
    public init?(lenient text: String) {
        switch text.trimmedSpaces.lowercased().nfc {
        case "female", "f", "nữ", "nu", "woman": self = .female
        case "male", "m", "nam", "man": self = .male
        case "", "unknown", "other", "khác": self = .unknown
        default: return nil
        }
    }
}

/// A Vietnamese full name: family name first, given name last (DOMAIN.md §6).
public struct CustomerName: Hashable, Sendable {
    public let full: String

    /// Trims, collapses inner spaces and composes to NFC, so that "Lan" typed on any keyboard
    /// compares equal.
    public init(_ raw: String) {
        full = raw.split(whereSeparator: \.isWhitespace).joined(separator: " ").nfc
    }

    /// "Trần Thị Lan" → "Lan".
    public var given: String { full.split(separator: " ").last.map(String.init) ?? full }

    /// "Chị Lan", "Anh Hùng", or the job's choice of honorific for unknown gender ("Bạn Lan").
    public func salutation(gender: Gender, unknownHonorific: String = "Bạn") -> String {
        let honorific: String
        switch gender {
        case .female: honorific = "Chị"
        case .male: honorific = "Anh"
        case .unknown: honorific = unknownHonorific
        }
        return honorific.isEmpty ? given : "\(honorific) \(given)"
    }
}

/// What a customer has opted out of (DOMAIN.md §6).
public enum OptOut: String, Sendable, CaseIterable {
    /// Takes every message.
    case none
    /// No advertising; messages about their own orders still go out.
    case marketing
    /// Nothing at all.
    case all
}
