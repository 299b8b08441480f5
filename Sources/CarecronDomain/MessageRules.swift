import Foundation

/// The wording rules every message obeys (DOMAIN.md §1.8, §6, §7).
public enum MessageRules {
    /// Problems with a rendered message's wording, as sentences for a marketer.
    public static func wordingProblems(_ text: String) -> [Sentence] {
        let t = text.nfc
        var problems: [Sentence] = []
        if t.lowercased().contains("bản thân thích là được") {
            problems.append(Sentence("check.forbidden_phrase"))
        }
        // "Thân" as a way of addressing the customer ("Thân gửi", "Thân chào", "Lan thân mến"),
        // not the word inside "thân thiện" (friendly) or "thân thể".
        if t.range(of: #"(^|[\s,.!:;])Thân(?=[\s,!.:]|$)(?! (thiện|thương|thể))"#, options: .regularExpression) != nil
            || t.range(of: #"(?i)\bthân (gửi|chào|mến)\b"#, options: .regularExpression) != nil {
            problems.append(Sentence("check.than"))
        }
        return problems
    }

    /// §1.8: the customer's name must appear within the first 7 characters of a reminder. The
    /// name counts as shown if the given name starts there ("Chị Lan ơi…").
    public static func showsNameEarly(_ text: String, givenName: String, within limit: Int = 7) -> Bool {
        let t = text.nfc
        guard let r = t.range(of: givenName.nfc) else { return false }
        return t.distance(from: t.startIndex, to: r.lowerBound) < limit
    }

    /// Strips Vietnamese diacritics for gateways that want plain ASCII, including đ/Đ, which
    /// Unicode decomposition alone leaves alone, and ₫: one character outside GSM-7 would make
    /// the whole SMS UCS-2, at twice the cost.
    public static func unaccented(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.isASCII { out.append(scalar) }
            else if let base = baseLetters[scalar.value] { if let b = base { out.append(b) } }
            else { out.append(scalar) }
        }
        return String(out)
    }

    /// Every Latin letter with marks (U+00C0–U+1EFF) → its base letter; combining marks → nothing.
    /// Built once: decomposing each message anew was the planner's hottest path.
    private static let baseLetters: [UInt32: Unicode.Scalar?] = {
        var table: [UInt32: Unicode.Scalar?] = [0x0111: "d", 0x0110: "D", 0x20AB: "d"]
        for v in UInt32(0x00C0)...UInt32(0x1EFF) where table[v] == nil {
            guard let scalar = Unicode.Scalar(v) else { continue }
            if (0x0300...0x036F).contains(v) { table[v] = .some(nil); continue }
            let decomposed = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
            if let first = decomposed.first, first.isASCII { table[v] = first }
        }
        return table
    }()

    /// GSM 03.38 basic set, plus the extension characters that cost two septets.
    static let gsmBasic = Set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà".unicodeScalars)
    static let gsmExtended = Set("^{}\\[~]|€\u{000C}".unicodeScalars)

    public enum SMSEncoding: String, Sendable { case gsm7 = "GSM-7", ucs2 = "UCS-2" }

    /// The characters of a text that GSM-7 cannot carry: any one of them makes the whole SMS
    /// UCS-2 (70 characters a segment instead of 160). In order of appearance, each once.
    public static func ucs2Characters(_ text: String) -> [Character] {
        var seen = Set<Character>(), out: [Character] = []
        for c in text where !c.unicodeScalars.allSatisfy({ gsmBasic.contains($0) || gsmExtended.contains($0) }) {
            if seen.insert(c).inserted { out.append(c) }
        }
        return out
    }

    /// Segments an SMS costs: GSM-7 160 per message or 153 per part; UCS-2 70 or 67.
    public static func smsSegments(_ text: String) -> (encoding: SMSEncoding, segments: Int) {
        var septets = 0, gsm = true
        for s in text.unicodeScalars {
            if gsmBasic.contains(s) { septets += 1 }
            else if gsmExtended.contains(s) { septets += 2 }
            else { gsm = false; break }
        }
        if gsm { return (.gsm7, septets <= 160 ? 1 : Int((Double(septets) / 153).rounded(.up))) }
        let units = text.utf16.count
        return (.ucs2, units <= 70 ? 1 : Int((Double(units) / 67).rounded(.up)))
    }

    /// §7: an advertising SMS starts with its label.
    public static func hasAdvertisingLabel(_ text: String) -> Bool {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.hasPrefix("[QC]") || t.hasPrefix("[AD]")
    }

    /// §7: an advertising message ends with how to opt out ("Tu choi: soan TC gui 1900…",
    /// "Từ chối nhận tin…"). Accepts the usual Vietnamese and English forms on the last line.
    public static func endsWithOptOut(_ text: String) -> Bool {
        let last = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\n").last.map(String.init) ?? ""
        let plain = unaccented(last).lowercased()
        return ["tu choi", "huy nhan", "ngung nhan", "opt out", "unsubscribe", "stop"].contains { plain.contains($0) }
    }
}
