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

    let from: String
    let to: String
    let jobs: [Job]
    var slots: [Slots] = []
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
        let width = 220.0, row = 18
        var svg = "<svg class=\"funnel slots\" role=\"img\" width=\"360\" height=\"\(rows.count * row)\" viewBox=\"0 0 360 \(rows.count * row)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, r) in rows.enumerated() {
            let w = Int(((r.rate ?? 0) * width).rounded()), y = i * row
            svg += "<text x=\"0\" y=\"\(y + row - 5)\">\((r.group ?? "").markupEscaped)</text>"
            svg += "<rect x=\"44\" y=\"\(y + 2)\" width=\"\(w)\" height=\"\(row - 4)\" rx=\"2\" class=\"bar bar-3\"></rect>"
            svg += "<text x=\"\(50 + w)\" y=\"\(y + row - 5)\">\(percent(r.rate, vi: vi))</text>"
        }
        return Slots(job: job, chart: svg + "</svg>", rows: rows.map { Slot(slot: $0.group ?? "", sent: $0.sent, converted: $0.converted, rate: percent($0.rate, vi: vi)) })
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
