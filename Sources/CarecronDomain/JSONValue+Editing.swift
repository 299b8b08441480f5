/// A job file as the console writes it: one stable form (two spaces, LF, a newline at the end,
/// keys in the file's order), so that saving without a change changes no byte and a change of
/// one value changes its line only.
extension JSONValue {
    /// Lines of a job file are kept under this width: a short list or a small object (the
    /// channels, a payment window) stays on its line.
    static let lineWidth = 120

    public var pretty: String { prettyLines(indent: "", prefix: 0) + "\n" }

    /// `prefix`: what precedes the value on its line (the indent and `"key": `).
    private func prettyLines(indent: String, prefix: Int) -> String {
        if let inline = self.inline, !inline.contains("\n"), prefix + inline.count + 1 <= Self.lineWidth { return inline }
        let inner = indent + "  "
        switch self {
        case .array(let items):
            return "[\n" + items.map { inner + $0.prettyLines(indent: inner, prefix: inner.count) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let pairs):
            return "{\n" + pairs.map { pair in
                let head = inner + Self.quote(pair.key) + ": "
                return head + pair.value.prettyLines(indent: inner, prefix: head.count)
            }.joined(separator: ",\n") + "\n" + indent + "}"
        default: return encoded
        }
    }

    /// On one line, spaced for reading (`["sms", "email"]`, `{ "name": "morning", "from": "05:00" }`).
    private var inline: String? {
        switch self {
        case .array(let items): return items.isEmpty ? "[]" : "[" + items.map { $0.inline ?? "\n" }.joined(separator: ", ") + "]"
        case .object(let pairs):
            return pairs.isEmpty ? "{}" : "{ " + pairs.map { Self.quote($0.key) + ": " + ($0.value.inline ?? "\n") }.joined(separator: ", ") + " }"
        default: return encoded
        }
    }

    /// The value at a path of keys (array elements by their index), if there is one.
    public func value(at path: [String]) -> JSONValue? {
        guard let first = path.first else { return self }
        switch self {
        case .object(let pairs): return pairs.first { $0.key == first }?.value.value(at: Array(path.dropFirst()))
        case .array(let items): return Int(first).flatMap { items.indices.contains($0) ? items[$0] : nil }?.value(at: Array(path.dropFirst()))
        default: return nil
        }
    }

    /// The same document with the value at `path` set (nil: removed), objects made on the way;
    /// a key already there keeps its place, a new one goes last.
    public func setting(_ path: [String], to new: JSONValue?) -> JSONValue {
        guard let first = path.first else { return new ?? .null }
        let rest = Array(path.dropFirst())
        switch self {
        case .array(var items):
            guard let i = Int(first), i >= 0, i <= items.count else { return self }
            if i == items.count {
                if let new { items.append(JSONValue.object([]).setting(rest, to: new)) }
            } else if rest.isEmpty, new == nil {
                items.remove(at: i)
            } else {
                items[i] = items[i].setting(rest, to: new)
            }
            return .array(items)
        default:
            // Removing under something that is not an object changes nothing (never "x" → {}).
            if new == nil, !{ if case .object = self { true } else { false } }() { return self }
            var pairs: [(key: String, value: JSONValue)] = if case .object(let p) = self { p } else { [] }
            if let at = pairs.firstIndex(where: { $0.key == first }) {
                if rest.isEmpty, new == nil {
                    pairs.remove(at: at)
                } else {
                    let changed = pairs[at].value.setting(rest, to: new)
                    // An object left empty by removing its last key goes too (an empty "sms": {}).
                    if new == nil, case .object(let left) = changed, left.isEmpty { pairs.remove(at: at) } else { pairs[at].value = changed }
                }
            } else if let new {
                pairs.append((key: first, value: JSONValue.object([]).setting(rest, to: new)))
            }
            return .object(pairs)
        }
    }
}
