import Foundation

/// A Vietnamese phone number in E.164 (`+84912345678`), normalised from the ways customers
/// write it, with the 2018 change of 11-digit mobile numbers to 10 digits (DOMAIN.md §6).
public struct PhoneNumber: Hashable, Sendable, CustomStringConvertible {
    public let e164: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case notDigits(String)
        case wrongLength(String)
        case unknownPrefix(String)

        public var description: String {
            switch self {
            case .empty: return "empty phone number"
            case .notDigits(let s): return "\"\(s)\" is not a phone number"
            case .wrongLength(let s): return "\"\(s)\" has the wrong number of digits for a Vietnamese phone"
            case .unknownPrefix(let p): return "prefix \(p) is not a Vietnamese mobile or landline prefix"
            }
        }
    }

    /// The 2018 renumbering: old 4-digit mobile prefix → new 3-digit one; the last 7 digits stay.
    public static let prefixes2018: [String: String] = [
        // MobiFone
        "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
        // VinaPhone
        "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
        // Viettel
        "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036",
        "0167": "037", "0168": "038", "0169": "039",
        // Vietnamobile
        "0186": "056", "0188": "058",
        // Gmobile
        "0199": "059",
    ]

    public init(e164: String) { self.e164 = e164 }

    public init(parsing raw: String) throws {
        let text = raw.trimmedSpaces
        guard !text.isEmpty else { throw Problem.empty }
        // Read as bytes: a phone is ASCII, and anything else is refused whole. (Characters cost a
        // grapheme walk a number, a fifth of a customer import.)
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        for (i, b) in text.utf8.enumerated() {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(b)
            case UInt8(ascii: "+") where i == 0: continue
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"): continue
            default: throw Problem.notDigits(raw)
            }
        }
        let zero = UInt8(ascii: "0")
        func starts84(_ d: [UInt8]) -> Bool { d.count >= 2 && d[0] == UInt8(ascii: "8") && d[1] == UInt8(ascii: "4") }
        // To the national form with its leading 0.
        var national: [UInt8]
        if text.utf8.first == UInt8(ascii: "+") || (starts84(digits) && digits.count >= 11) {
            guard starts84(digits) else { throw Problem.unknownPrefix("+" + String(decoding: digits.prefix(3), as: UTF8.self)) }
            national = [zero] + digits.dropFirst(2)
        } else if digits.first == zero {
            national = digits
        } else {
            national = [zero] + digits
        }
        func string(_ bytes: some Sequence<UInt8>) -> String { String(decoding: Array(bytes), as: UTF8.self) }
        if national.count == 11, national[1] == UInt8(ascii: "1") {
            guard let new = Self.prefixes2018[string(national.prefix(4))] else {
                throw Problem.unknownPrefix(string(national.prefix(4)))
            }
            national = Array(new.utf8) + national.suffix(7)
        }
        switch national.count > 1 ? national[1] : 0 {
        case UInt8(ascii: "3"), UInt8(ascii: "5"), UInt8(ascii: "7"), UInt8(ascii: "8"), UInt8(ascii: "9"):
            guard national.count == 10 else { throw Problem.wrongLength(raw) }
        case UInt8(ascii: "2"):
            // Landlines: 0 + area code + subscriber, 11 digits since 2017.
            guard national.count == 11 else { throw Problem.wrongLength(raw) }
        default:
            guard national.count >= 10 else { throw Problem.wrongLength(raw) }
            throw Problem.unknownPrefix(string(national.prefix(3)))
        }
        e164 = "+84" + string(national.dropFirst())
    }

    /// The form Zalo ZNS wants: `84…` without the plus.
    public var zaloForm: String { String(e164.dropFirst()) }

    /// For logs: `+8491****678`.
    public var masked: String { Masking.phone(e164) }

    public var description: String { e164 }
}

/// How personal contacts appear in logs.
public enum Masking {
    public static func phone(_ s: String) -> String {
        guard s.count > 8 else { return String(repeating: "*", count: s.count) }
        return s.prefix(5) + String(repeating: "*", count: s.count - 8) + s.suffix(3)
    }

    public static func email(_ s: String) -> String {
        guard let at = s.firstIndex(of: "@") else { return phone(s) }
        let local = s[..<at]
        return (local.first.map(String.init) ?? "") + "***" + s[at...]
    }

    /// Either form, by its shape.
    public static func contact(_ s: String) -> String { s.contains("@") ? email(s) : phone(s) }
}
