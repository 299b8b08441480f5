import CarecronDomain
import CarecronStorage
import Foundation

/// *Kết quả*: what each job achieved over a span of days (issue 28), the figures of
/// `carecron report` and `/v1/report`, with the funnel drawn as SVG by carecron itself (no
/// script, no font from elsewhere). Each row carries its figures as `data-` attributes, so a
/// test reads the page as the CLI prints it.
struct ResultsModel: PageModel {
    struct Job: Encodable {
        let job: String
        let planned: Int
        let sent: Int
        let delivered: Int
        let heldOut: Int
        let converted: Int
        let controlConverted: Int
        let revenue: Int
        let rate: String
        let controlRate: String?
        let lift: String?
        let revenueText: String
        /// The funnel: planned → sent → delivered → converted, bars in proportion.
        let funnel: String
    }

    /// A job that reminds in turns, its rate by the time of day its messages were due.
    struct Slots: Encodable {
        let job: String
        let chart: String
        let rows: [Slot]
    }

    struct Slot: Encodable {
        let slot: String
        let sent: Int
        let converted: Int
        let rate: String
    }

    /// An experiment's arms side by side: each arm's rate with its 95% interval, its chance of
    /// beating the strongest other, and what may be concluded.
    struct Experiment: Encodable {
        let job: String
        let chart: String
        let arms: [Arm]
    }

    struct Arm: Encodable {
        let variant: String
        /// "Nội dung 2" on a Vietnamese page ("variant 2" in the figures and in English).
        let label: String
        let sent: Int
        let converted: Int
        let rate: String
        let interval: String
        let beats: String
        let verdict: String
    }

    /// A survey job's measure by period (CSAT, CES, NPS over time).
    struct Survey: Encodable {
        let job: String
        let measure: String
        let chart: String
        let rows: [SurveyRow]
    }

    struct SurveyRow: Encodable {
        let period: String
        /// "26/10/2026", as Vietnamese writes a day.
        let periodText: String
        let count: Int
        let value: String
        let low: Int
    }

    struct Tier: Encodable {
        let tier: String
        let buyers: Int
        let value: String
        let revenue: String
    }

    let from: String
    let to: String
    let jobs: [Job]
    var slots: [Slots] = []
    var experiments: [Experiment] = []
    var surveys: [Survey] = []
    /// "12 trong 40 khách đã mua lại trong 90 ngày (30,0%)".
    var retention: String?
    /// The care team's response time and first-contact resolution, in a sentence.
    var careTeam: String?
    var retentionBuyers = 0
    var retentionReturned = 0
    var tiers: [Tier] = []
}

extension ResultsModel.Job {
    init(_ o: JobOutcome, words: ScheduleWords) {
        job = o.job
        planned = o.planned
        sent = o.sent
        delivered = o.delivered
        heldOut = o.heldOut
        converted = o.converted
        controlConverted = o.controlConverted
        revenue = o.revenue
        let vi = words.language == .vi
        rate = ResultsModel.percent(o.rate, vi: vi)
        controlRate = o.heldOut > 0 ? ResultsModel.percent(o.controlRate, vi: vi) : nil
        lift = o.lift.map { l in
            words.say(Sentence("results.lift", ["value": .text(ResultsModel.points(l.value, vi: vi)), "low": .text(ResultsModel.points(l.low, vi: vi)),
                                                "high": .text(ResultsModel.points(l.high, vi: vi))]))
        }
        revenueText = VietnameseFormat.money(o.revenue)
        funnel = ResultsModel.funnel([(words.word("results_planned"), o.planned), (words.word("results_sent"), o.sent),
                                      (words.word("results_delivered"), o.delivered), (words.word("results_converted"), o.converted)])
    }
}

extension ResultsModel {
    /// "33,3%" as Vietnamese writes it, "33.3%" in English.
    static func percent(_ v: Double?, vi: Bool) -> String { v.map { decimal(String(format: "%.1f%%", $0 * 100), vi) } ?? "–" }
    static func points(_ v: Double, vi: Bool) -> String { decimal(String(format: "%+.1f", v * 100), vi) }
    static func decimal(_ s: String, _ vi: Bool) -> String { vi ? s.replacingOccurrences(of: ".", with: ",") : s }

    /// A job's rate by slot: one bar a slot, as long as its rate (the whole width 100%).
    static func slots(_ job: String, _ rows: [JobOutcome], vi: Bool) -> Slots {
        let chart = bars(rows.map { ($0.group ?? "", $0.rate ?? 0, percent($0.rate, vi: vi)) })
        return Slots(job: job, chart: chart, rows: rows.map { Slot(slot: $0.group ?? "", sent: $0.sent, converted: $0.converted, rate: percent($0.rate, vi: vi)) })
    }

    /// One labelled bar a row, as long as its fraction of the width, its value written after it.
    static func bars(_ rows: [(label: String, fraction: Double, text: String)], labelWidth: Int = 44) -> String {
        let width = 220.0, row = 18
        var svg = "<svg class=\"funnel slots\" role=\"img\" width=\"\(labelWidth + 316)\" height=\"\(rows.count * row)\" viewBox=\"0 0 \(labelWidth + 316) \(rows.count * row)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, r) in rows.enumerated() {
            let w = Int((min(1, max(0, r.fraction)) * width).rounded()), y = i * row
            svg += "<text x=\"0\" y=\"\(y + row - 5)\">\(r.label.markupEscaped)</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y + 2)\" width=\"\(w)\" height=\"\(row - 4)\" rx=\"2\" class=\"bar bar-3\"></rect>"
            svg += "<text x=\"\(labelWidth + 6 + w)\" y=\"\(y + row - 5)\">\(r.text.markupEscaped)</text>"
        }
        return svg + "</svg>"
    }

    /// Each arm's rate as a dot on its 95% interval, on one scale (up to the highest interval's end).
    static func intervals(_ arms: [JobOutcome], labels: [String], vi: Bool) -> String {
        let top = max(0.01, arms.compactMap { $0.rateInterval?.high }.max() ?? 0.01), width = 220.0, row = 22, left = 70
        func x(_ v: Double) -> Int { left + Int((v / top * width).rounded()) }
        var svg = "<svg class=\"funnel intervals\" role=\"img\" width=\"360\" height=\"\(arms.count * row)\" viewBox=\"0 0 360 \(arms.count * row)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, a) in arms.enumerated() {
            let y = i * row + row / 2
            svg += "<text x=\"0\" y=\"\(y + 4)\">\(labels[i].markupEscaped)</text>"
            if let ci = a.rateInterval, let rate = a.rate {
                svg += "<line x1=\"\(x(ci.low))\" y1=\"\(y)\" x2=\"\(x(ci.high))\" y2=\"\(y)\" class=\"whisker\" stroke=\"currentColor\" stroke-width=\"2\"></line>"
                svg += "<circle cx=\"\(x(rate))\" cy=\"\(y)\" r=\"4\" class=\"bar bar-3\"></circle>"
                svg += "<text x=\"\(x(ci.high) + 6)\" y=\"\(y + 4)\">\(percent(rate, vi: vi))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// A job's experiment, from its rows by variant.
    static func experiment(_ job: String, _ arms: [JobOutcome], words: ScheduleWords) -> Experiment {
        let vi = words.language == .vi
        let labels = arms.map { a in vi ? (a.group ?? "").replacingOccurrences(of: "variant ", with: "Nội dung ") : a.group ?? "" }
        return Experiment(job: job, chart: intervals(arms, labels: labels, vi: vi), arms: zip(arms, labels).map { a, label in
            Arm(variant: a.group ?? "", label: label, sent: a.sent, converted: a.converted, rate: percent(a.rate, vi: vi),
                interval: a.rateInterval.map { "\(percent($0.low, vi: vi)) – \(percent($0.high, vi: vi))" } ?? "–",
                beats: a.comparison.map { percent($0.probabilityBeats, vi: vi) } ?? "–",
                verdict: a.comparison.map { words.say($0.verdict.sentence(minimum: a.minimumPerArm ?? 0)) } ?? "")
        })
    }

    /// A survey job's measure over the periods, as bars on the measure's own scale.
    static func survey(_ rows: [MeasureRow], words: ScheduleWords) -> Survey {
        let vi = words.language == .vi
        let measure = rows.first?.measure ?? .csat
        func text(_ v: Double?) -> String {
            guard let v else { return "–" }
            switch measure {
            case .csat: return percent(v, vi: vi)
            case .nps: return decimal(String(format: "%+.0f", v), vi)
            default: return decimal(String(format: "%.2f", v), vi)
            }
        }
        func fraction(_ v: Double?) -> Double {
            guard let v else { return 0 }
            switch measure {
            case .nps: return (v + 100) / 200
            case .ces: return (v - 1) / 6
            default: return v
            }
        }
        func day(_ period: String?) -> String { period.flatMap(LocalDate.init(iso:)).map(VietnameseFormat.date) ?? period ?? "" }
        return Survey(job: rows.first?.job ?? "", measure: measure.rawValue.uppercased(),
                      chart: bars(rows.map { (day($0.period), fraction($0.value), text($0.value)) }, labelWidth: 84),
                      rows: rows.map { SurveyRow(period: $0.period ?? "", periodText: day($0.period), count: $0.count, value: text($0.value), low: $0.low ?? 0) })
    }

    /// Horizontal bars, each as long as its count against the first, labelled with its name and count.
    static func funnel(_ steps: [(String, Int)]) -> String {
        let top = max(1, steps.first?.1 ?? 1), width = 220.0, row = 18
        var svg = "<svg class=\"funnel\" role=\"img\" width=\"360\" height=\"\(steps.count * row)\" viewBox=\"0 0 360 \(steps.count * row)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, (label, n)) in steps.enumerated() {
            let w = max(n > 0 ? 1 : 0, Int((Double(n) / Double(top) * width).rounded()))
            let y = i * row
            svg += "<rect x=\"0\" y=\"\(y + 2)\" width=\"\(w)\" height=\"\(row - 4)\" rx=\"2\" class=\"bar bar-\(i)\"></rect>"
            svg += "<text x=\"\(w + 6)\" y=\"\(y + row - 5)\">\(label.markupEscaped) \(n)</text>"
        }
        return svg + "</svg>"
    }
}
