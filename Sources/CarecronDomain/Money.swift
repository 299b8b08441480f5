/// Amounts in đồng, read from outside and added up. The đồng has no smaller unit in use, so an
/// amount is a whole number; files write it the Vietnamese way (`1.250.000`), the English way
/// (`1,250,000`) or as platforms send prices (`403000.00`), and all three must read the same.
/// An amount that could be read two ways, or that carries a fraction of a đồng, is refused
/// rather than guessed: a silent ×100 or ÷1000 would be read by every customer who gets the message.
public enum Money {
    /// ISO 4217 currencies with no minor unit in use: an amount of them is a whole number, as
    /// `parse` reads it. (Another currency's "19.99" would be refused as a fraction.)
    public static let wholeUnitCurrencies: Set<String> = [
        "VND", "JPY", "KRW", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF", "XPF", "KMF", "GNF", "RWF", "VUV", "BIF", "DJF",
    ]

    /// The largest amount one order may carry: 1.000.000.000.000₫ (a thousand billion đồng).
    /// Far above any shop's order, and low enough that millions of them add up within `Int`.
    public static let maximum = 1_000_000_000_000

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notANumber(String)
        case fractional(String)
        case ambiguous(String)
        case negative(String)
        case tooLarge(String)

        public var description: String {
            switch self {
            case .notANumber(let t):
                return "\"\(t)\" is not an amount of đồng; write e.g. 1250000, 1.250.000 or 1250000.00"
            case .fractional(let t):
                return "\"\(t)\" has a fraction of a đồng; amounts are whole đồng (e.g. 199000 or 199.000)"
            case .ambiguous(let t):
                return "\"\(t)\" can be read more than one way; write the whole number of đồng, e.g. 1250000"
            case .negative(let t):
                return "\"\(t)\" is negative"
            case .tooLarge(let t):
                return "\"\(t)\" is more than \(VietnameseFormat.money(Money.maximum)), the largest amount carecron accepts"
            }
        }
    }

    /// Reads an amount of đồng. Grouping marks follow the Vietnamese or the English habit; a
    /// decimal part is allowed only when it is all zeros. A lone mark followed by exactly three
    /// digits groups thousands (`150.000` is 150,000₫: how Vietnamese writes it) when one to three
    /// digits stand before it, and is refused as ambiguous after more (`1250.000`); followed by
    /// another number of digits it is a decimal point (`403.00` is 403₫).
    public static func parse(_ raw: String) -> Result<Int, Problem> {
        var text = raw.trimmedSpaces
        if let mark = currencyMarks.first(where: { text.hasSuffix($0) }) { text = String(text.dropLast(mark.count)).trimmedSpaces }
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        guard let first = text.first, first.isASCIIDigit, text.last!.isASCIIDigit,
              text.allSatisfy({ $0.isASCIIDigit || isMark($0) }) else { return .failure(.notANumber(raw)) }
        guard let (whole, fraction, grouping) = split(Substring(text)) else { return .failure(.ambiguous(raw)) }
        var digits = Substring(whole)
        if let grouping {
            let groups = whole.split(separator: grouping, omittingEmptySubsequences: false)
            // "0.500": nobody writes five hundred with a leading zero group.
            guard (1...3).contains(groups[0].count), groups[0].first != "0", groups.dropFirst().allSatisfy({ $0.count == 3 }) else {
                return .failure(.ambiguous(raw))
            }
            digits = Substring(groups.joined())
        }
        guard fraction.allSatisfy({ $0 == "0" }) else { return .failure(.fractional(raw)) }
        let significant = digits.drop { $0 == "0" }
        guard significant.count <= 13, let value = Int(significant.isEmpty ? "0" : significant), value <= maximum else {
            return .failure(.tooLarge(raw))
        }
        if negative, value > 0 { return .failure(.negative(raw)) }
        return .success(value)
    }

    /// Suffixes that name the currency, dropped before reading.
    static let currencyMarks = ["₫", "đ", "Đ", "vnđ", "VNĐ", "vnd", "VND"]

    static func isMark(_ c: Character) -> Bool { c == "." || c == "," }

    /// The whole part, the decimal part and the mark grouping the whole part's thousands; nil
    /// when the marks contradict each other (two decimal points).
    private static func split(_ text: Substring) -> (whole: Substring, fraction: Substring, grouping: Character?)? {
        let marks = text.filter(isMark)
        guard let lastMark = marks.last else { return (text, "", nil) }
        if Set(marks).count == 2 {
            // Both marks: the last one is the decimal point, the other groups thousands.
            guard marks.filter({ $0 == lastMark }).count == 1 else { return nil }
            let at = text.lastIndex(of: lastMark)!
            // "1.000,000": three digits after the last mark could be one more thousands group.
            guard text.distance(from: at, to: text.endIndex) - 1 != 3 else { return nil }
            return (text[..<at], text[text.index(after: at)...], lastMark == "." ? "," : ".")
        }
        if marks.count > 1 { return (text, "", lastMark) }
        let at = text.firstIndex(of: lastMark)!
        let before = text[..<at], after = text[text.index(after: at)...]
        guard after.count == 3 else { return (before, after, nil) }
        // "150.000" groups thousands; "1250.000" could be 1,250₫ with three decimals or
        // 1,250,000₫ grouped only once: neither is guessed.
        return before.count <= 3 ? (text, "", lastMark) : nil
    }

    /// The sum of amounts, held at `Int.max` instead of overflowing: stored rows from before the
    /// bound existed (or written by hand) must never stop the planner.
    public static func total<S: Sequence>(_ amounts: S) -> Int where S.Element == Int {
        var sum = 0
        for amount in amounts {
            let (next, overflow) = sum.addingReportingOverflow(amount)
            sum = overflow ? (amount > 0 ? Int.max : Int.min) : next
        }
        return sum
    }

    /// `a + b`, held at the ends of `Int`.
    public static func adding(_ a: Int, _ b: Int) -> Int { total([a, b]) }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
