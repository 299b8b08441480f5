/// How a person types what they look for: names without accents, in any case, with spaces
/// anywhere. A name is stored folded the same way, so "pham thu ha" finds "Phạm Thu Hà".
public enum SearchText {
    /// "  Phạm  Thu HÀ " → "pham thu ha".
    public static func fold(_ text: String) -> String {
        MessageRules.unaccented(text).lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// The folded name with its words in reverse ("ha thu pham"): Vietnamese names end with the
    /// given name, the one people search by, so a prefix of this finds "Hà" and "Thu Hà".
    public static func givenFirst(_ folded: String) -> String {
        folded.split(separator: " ").reversed().joined(separator: " ")
    }

    /// A phone number as typed ("0987 000 111", "+84987000111", "84987000111") in the stored
    /// E.164 form, or nil if it is not one.
    public static func phone(_ text: String) -> String? {
        let digits = text.filter { $0.isASCII && $0.isNumber }
        guard digits.count >= 9, text.allSatisfy({ $0.isASCII && ($0.isNumber || " .-+()".contains($0)) }) else { return nil }
        let national = digits.hasPrefix("84") && digits.count >= 11 ? "0" + digits.dropFirst(2) : (digits.hasPrefix("0") ? digits : "0" + digits)
        return (try? PhoneNumber(parsing: national))?.e164
    }
}
