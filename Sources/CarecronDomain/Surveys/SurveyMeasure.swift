import Foundation

/// What a survey asks (DOMAIN.md §9, the handbook's 002 §V): satisfaction on 1–5 stars (CSAT),
/// how easy it was on 1–7 (CES, asked as ease: 7 is the easiest), and whether they would
/// recommend the shop on 0–10 (NPS).
public enum SurveyMeasure: String, Sendable, CaseIterable, Codable {
    case csat, ces, nps

    public var scale: ClosedRange<Int> {
        switch self {
        case .csat: 1...5
        case .ces: 1...7
        case .nps: 0...10
        }
    }

    /// A score the care team should call back about: CSAT 1–2, CES 1–2 (hard), an NPS detractor (0–6).
    public func isLow(_ score: Int) -> Bool {
        switch self {
        case .csat, .ces: score <= 2
        case .nps: score <= 6
        }
    }

    /// The score a customer's reply gives, if it gives exactly one on this scale: "5", "5 sao",
    /// "5/5", "chấm 4 nhé", "năm", "mười điểm". A reply with two numbers, none, or too many
    /// words to be an answer ("5 ngày rồi chưa nhận hàng") is a conversation, not a score.
    public func score(in reply: String) -> Int? {
        var text = MessageRules.unaccented(reply).lowercased()
        // "5/5", "4 trên 5": the scale's top after a score is not a second answer.
        for top in ["/\(scale.upperBound)", "/ \(scale.upperBound)", " tren \(scale.upperBound)"] { text = text.replacingOccurrences(of: top, with: " ") }
        let words = text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        guard !words.isEmpty, words.count <= 6 else { return nil }
        var found: [Int] = []
        for w in words {
            if let n = Int(w) ?? Self.numberWords[w] {
                found.append(n)
            } else if !Self.fillers.contains(w) {
                return nil
            }
        }
        guard found.count == 1, let n = found.first, scale.contains(n) else { return nil }
        return n
    }

    /// Vietnamese number words, without accents (as `OptOutKeywords.folded` leaves them).
    static let numberWords: [String: Int] = ["khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
                                              "tam": 8, "chin": 9, "muoi": 10]
    /// Words that may surround a score in a short answer.
    static let fillers: Set<String> = ["sao", "diem", "cham", "em", "chi", "anh", "minh", "toi", "shop", "a", "nhe", "nha", "oi", "ak", "ah", "d", "tren",
                                       "la", "ok", "duoc", "thoi", "cho", "star", "stars", "points"]
}

/// One answer as the measures read it.
public struct SurveyScore: Sendable, Equatable {
    public let measure: SurveyMeasure
    public let score: Int
    public let at: Date

    public init(measure: SurveyMeasure, score: Int, at: Date) {
        self.measure = measure
        self.score = score
        self.at = at
    }
}

/// The handbook's survey measures over a set of answers (README, "The handbook's measures").
public struct SurveySummary: Sendable, Equatable {
    public let measure: SurveyMeasure
    public let answers: Int
    /// CSAT: the share of 4–5; CES: the mean; NPS: % promoters − % detractors, in points.
    public let value: Double?
    /// Answers the care team should call back about.
    public let low: Int

    public init(_ measure: SurveyMeasure, _ scores: [Int]) {
        self.measure = measure
        answers = scores.count
        low = scores.filter(measure.isLow).count
        guard !scores.isEmpty else {
            value = nil
            return
        }
        let n = Double(scores.count)
        switch measure {
        case .csat: value = Double(scores.filter { $0 >= 4 }.count) / n
        case .ces: value = Double(scores.reduce(0, +)) / n
        case .nps: value = (Double(scores.filter { $0 >= 9 }.count) - Double(scores.filter { $0 <= 6 }.count)) / n * 100
        }
    }
}
