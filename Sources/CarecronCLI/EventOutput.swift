import CarecronDomain
import Foundation

enum OutputFormat: String, CaseIterable {
    case table, jsonl
}

/// Prints planned events for people (a timeline) or programs (JSON Lines).
struct EventPrinter {
    let clock: ShopClock
    let format: OutputFormat

    func print(_ events: [PlannedEvent], extra: (PlannedEvent) -> [(String, JSONValue)] = { _ in [] }) {
        switch format {
        case .jsonl:
            for e in events { Swift.print(JSONValue.ordered(e.jsonFields(clock: clock) + extra(e)).encoded) }
        case .table:
            if events.isEmpty { Swift.print("(nothing)") }
            for e in events { Swift.print(row(e, extra: extra(e))) }
        }
    }

    func row(_ e: PlannedEvent, extra: [(String, JSONValue)]) -> String {
        let d = clock.localDate(of: e.at), t = clock.timeOfDay(of: e.at)
        var what = e.job + (e.reminder.map { " #\($0)" } ?? "")
        if e.kind == .expire { what += " (expire)" }
        if e.kind == .skip { what += " (not sent)" }
        let subject = e.orderIds.isEmpty ? e.customerId : "\(e.orderIds.joined(separator: ","))/\(e.customerId)"
        var line = "\(d) \(t)  \(Self.column(what, 22)) \(Self.column(subject, 14))"
        if let c = e.channel, let to = e.to { line += " \(c.rawValue) \(to)" }
        if let text = e.text { line += "\n    " + (e.subject.map { "[\($0)] " } ?? "") + text.replacingOccurrences(of: "\n", with: "\n    ") }
        if let p = e.problem, e.reason == nil { line += "\n    ! \(p)" }
        if let r = e.reason { line += "\n    - \(r)" }
        if let f = e.fallbackNote { line += "\n    - \(f)" }
        for (k, v) in extra { line += "\n    \(k): \(Self.plain(v))" }
        return line
    }

    /// Text padded to a column's width, never cut: a long job name pushes the row along.
    static func column(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    /// A value as a person reads it: text without JSON's quotes, lists one item after another.
    static func plain(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .array(let items): return items.map(plain).joined(separator: "; ")
        default: return v.encoded
        }
    }
}
