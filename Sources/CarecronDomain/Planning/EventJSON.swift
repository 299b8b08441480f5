import Foundation

extension PlannedEvent {
    /// The event as `simulate --format jsonl` prints it (and the dry run writes it): `at`, `job`,
    /// `kind`, `orderId`/`orderIds`, `customerId`, `reminder`, `channel`, `to`, `subject`, `text`, …
    public func jsonFields(clock: ShopClock) -> [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [
            ("at", .string(InstantFormat.format(at, clock: clock))),
            ("job", .string(job)),
            ("kind", .string(kind.rawValue)),
        ]
        if let id = orderId { f.append(("orderId", .string(id))) }
        if orderIds.count > 1 { f.append(("orderIds", .array(orderIds.map(JSONValue.string)))) }
        f.append(("customerId", .string(customerId)))
        if let r = reminder { f.append(("reminder", .number(Double(r)))) }
        if let c = channel { f.append(("channel", .string(c.rawValue))) }
        if let to { f.append(("to", .string(to))) }
        if let subject { f.append(("subject", .string(subject))) }
        if let text { f.append(("text", .string(text))) }
        if !params.isEmpty { f.append(("params", .ordered(params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
        if let problem { f.append(("problem", .string(problem))) }
        if let reason { f.append(("reason", .string(reason))) }
        if let fallbackNote { f.append(("fallback", .string(fallbackNote.description))) }
        f.append(("keys", .array(keys.map(JSONValue.string))))
        return f
    }
}
