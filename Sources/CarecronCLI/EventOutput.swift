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
            for e in events { Swift.print(OrderedJSON.encode(fields(e) + extra(e))) }
        case .table:
            if events.isEmpty { Swift.print("(nothing)") }
            for e in events { Swift.print(row(e, extra: extra(e))) }
        }
    }

    func fields(_ e: PlannedEvent) -> [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [
            ("at", .string(InstantFormat.format(e.at, clock: clock))),
            ("job", .string(e.job)),
            ("kind", .string(e.kind.rawValue)),
        ]
        if let id = e.orderId { f.append(("orderId", .string(id))) }
        if e.orderIds.count > 1 { f.append(("orderIds", .array(e.orderIds.map(JSONValue.string)))) }
        f.append(("customerId", .string(e.customerId)))
        if let r = e.reminder { f.append(("reminder", .number(Double(r)))) }
        if let c = e.channel { f.append(("channel", .string(c.rawValue))) }
        if let to = e.to { f.append(("to", .string(to))) }
        if let s = e.subject { f.append(("subject", .string(s))) }
        if let t = e.text { f.append(("text", .string(t))) }
        if !e.params.isEmpty { f.append(("params", .object(e.params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
        if let p = e.problem { f.append(("problem", .string(p))) }
        f.append(("keys", .array(e.keys.map(JSONValue.string))))
        return f
    }

    func row(_ e: PlannedEvent, extra: [(String, JSONValue)]) -> String {
        let d = clock.localDate(of: e.at), t = clock.timeOfDay(of: e.at)
        var what = e.job + (e.reminder.map { " #\($0)" } ?? "")
        if e.kind == .expire { what += " (expire)" }
        let subject = e.orderIds.isEmpty ? e.customerId : "\(e.orderIds.joined(separator: ","))/\(e.customerId)"
        var line = "\(d) \(t)  \(what.padding(toLength: 22, withPad: " ", startingAt: 0)) \(subject.padding(toLength: 14, withPad: " ", startingAt: 0))"
        if let c = e.channel, let to = e.to { line += " \(c.rawValue) \(to)" }
        if let text = e.text { line += "\n    " + (e.subject.map { "[\($0)] " } ?? "") + text.replacingOccurrences(of: "\n", with: "\n    ") }
        if let p = e.problem { line += "\n    ! \(p)" }
        for (k, v) in extra { line += "\n    \(k): \(OrderedJSON.encode(v))" }
        return line
    }
}

/// JSON with keys in the order given, one object per line.
enum OrderedJSON {
    static func encode(_ pairs: [(String, JSONValue)]) -> String { encode(.object(pairs.map { (key: $0.0, value: $0.1) })) }

    static func encode(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return quote(s)
        case .array(let items): return "[" + items.map(encode).joined(separator: ",") + "]"
        case .object(let pairs): return "{" + pairs.map { quote($0.key) + ":" + encode($0.value) }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
