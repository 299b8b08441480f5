import Foundation

public enum Gender: String, Sendable, CaseIterable, Codable {
    case female, male, unknown

    /// Reads the values shops put in their exports: female/male, f/m, nữ/nam; empty is unknown.
    public init?(lenient text: String) {
        // An export's usual spellings first: lowercasing and composing a million of them showed.
        switch text {
        case "female": self = .female; return
        case "male": self = .male; return
        case "": self = .unknown; return
        default: break
        }
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
        full = Self.isTidy(raw) ? raw : raw.split(whereSeparator: \.isWhitespace).joined(separator: " ").nfc
    }

    /// Already trimmed, single-spaced and NFC: words of ASCII, Latin-1 and Latin Extended
    /// letters (U+00C0–U+01BF) or precomposed Vietnamese (U+1E00–U+1EFF), one space apart. Most
    /// names are; they are kept as they are without splitting them into Characters.
    static func isTidy(_ s: String) -> Bool {
        var afterSpace = true  // so that a leading space is not tidy
        var expectVietnameseTrail = false, trailing = 0
        for b in s.utf8 {
            if trailing > 0 {
                guard b & 0xC0 == 0x80, !expectVietnameseTrail || (0xB8...0xBB).contains(b) else { return false }
                expectVietnameseTrail = false
                trailing -= 1
                continue
            }
            switch b {
            case 0x20:
                if afterSpace { return false }
                afterSpace = true
                continue
            case 0x00..<0x20, 0x7F: return false
            case 0x21..<0x7F: break
            case 0xC3...0xC6: trailing = 1
            case 0xE1: trailing = 2; expectVietnameseTrail = true
            default: return false
            }
            afterSpace = false
        }
        return !afterSpace && trailing == 0
    }

    /// "Trần Thị Lan" → "Lan". A tidy name (all of them but a few) is cut at its last space
    /// byte: it has no combining mark that could join a space into one character, so this is
    /// the split by characters without walking them (a campaign asks it a million times).
    public var given: String {
        if Self.isTidy(full), let space = full.utf8.lastIndex(of: UInt8(ascii: " ")) {
            return String(full[full.utf8.index(after: space)...])
        }
        return full.split(separator: " ").last.map(String.init) ?? full
    }

    /// The honorific a message opens with (trimmed), the given name, and the two together.
    public func salutationParts(gender: Gender, unknownHonorific: String = "Bạn") -> (honorific: String, given: String, salutation: String) {
        let honorific: String
        switch gender {
        case .female: honorific = "Chị"
        case .male: honorific = "Anh"
        case .unknown: honorific = unknownHonorific
        }
        let given = given
        return (honorific.trimmedSpaces, given, honorific.isEmpty ? given : "\(honorific) \(given)")
    }

    /// "Chị Lan", "Anh Hùng", or the job's choice of honorific for unknown gender ("Bạn Lan").
    public func salutation(gender: Gender, unknownHonorific: String = "Bạn") -> String {
        salutationParts(gender: gender, unknownHonorific: unknownHonorific).salutation
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
