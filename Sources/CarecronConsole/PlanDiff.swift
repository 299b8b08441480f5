import CarecronDomain
import Foundation

/// What an edit changes in the plan: the messages it adds, removes, moves in time or rewords,
/// matched by their occurrence keys, with the change in SMS segments (the cost).
struct PlanDiff {
    enum Change: String { case added, removed, moved, reworded }

    struct Item {
        let change: Change
        let before: PlannedEvent?
        let after: PlannedEvent?
        var event: PlannedEvent { (after ?? before)! }
    }

    let items: [Item]
    let segmentsBefore: Int
    let segmentsAfter: Int

    init(before: [PlannedEvent], after: [PlannedEvent]) {
        func messages(_ events: [PlannedEvent]) -> [String: PlannedEvent] {
            Dictionary(events.filter { $0.kind == .message && $0.text != nil }.map { ($0.keys.joined(separator: "+"), $0) },
                       uniquingKeysWith: { a, _ in a })
        }
        let old = messages(before), new = messages(after)
        var items: [Item] = []
        for (key, a) in new {
            guard let b = old[key] else { items.append(Item(change: .added, before: nil, after: a)); continue }
            if a.at != b.at {
                items.append(Item(change: .moved, before: b, after: a))
            } else if a.text != b.text || a.subject != b.subject || a.channel != b.channel || a.html != b.html || a.params != b.params {
                items.append(Item(change: .reworded, before: b, after: a))
            }
        }
        for (key, b) in old where new[key] == nil { items.append(Item(change: .removed, before: b, after: nil)) }
        self.items = items.sorted { ($0.event.at, $0.event.keys.first ?? "") < ($1.event.at, $1.event.keys.first ?? "") }
        self.segmentsBefore = old.values.reduce(0) { $0 + Self.segments($1) }
        self.segmentsAfter = new.values.reduce(0) { $0 + Self.segments($1) }
    }

    static func segments(_ e: PlannedEvent) -> Int {
        guard e.channel == .sms, let text = e.text else { return 0 }
        return MessageRules.smsSegments(text).segments
    }

    /// Counts per job, channel and kind of change.
    var counts: [(job: String, channel: String, change: Change, count: Int)] {
        var n: [String: Int] = [:]
        for i in items { n["\(i.event.job)|\(i.event.channel?.rawValue ?? "-")|\(i.change.rawValue)", default: 0] += 1 }
        return n.sorted { $0.key < $1.key }.map { key, count in
            let p = key.split(separator: "|").map(String.init)
            return (p[0], p[1], Change(rawValue: p[2])!, count)
        }
    }
}
