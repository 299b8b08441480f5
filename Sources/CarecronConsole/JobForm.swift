import CarecronDomain
import Foundation

/// A job file as a form: the fields every job has and those its type declares (`JobFields`),
/// each template variant's forms by channel; read from the file's JSON and written back into it,
/// keys the form does not show kept as they are.
struct JobForm {
    let json: JSONValue
    let fields: [JobField]
    /// Each variant's fields by the tab that shows them.
    let variants: [[(tab: String, field: JobField)]]

    init(json: JSONValue) {
        self.json = json
        let type = json["type"].flatMap { if case .string(let s) = $0 { JobType(rawValue: s) } else { nil } }
        let plugin = type.flatMap(JobTypeRegistry.rules(for:))
        fields = JobFields.common(takesSchedule: plugin?.takesSchedule ?? true) + (plugin?.fields ?? [])
        let count = if case .array(let items)? = json["templates"] { max(items.count, 1) } else { 1 }
        variants = (0..<count).map(JobFields.variant)
    }

    /// Where a field is in this file: a campaign may keep `audience`, `when`, `spread` and
    /// `lateness` under `rules` instead of at the top.
    func path(_ f: JobField) -> [String] {
        if json[f.path[0]] == nil, json["rules"]?[f.path[0]] != nil { return ["rules"] + f.path }
        return f.path
    }

    /// The field's value in the file: at its path, or the whole of its parent when the parent is
    /// the short form of it (`"sms": "…"` is the SMS text).
    func current(_ f: JobField) -> JSONValue? {
        if let v = json.value(at: path(f)) { return v }
        if f.path.last == "text", case .string(let s)? = json.value(at: Array(path(f).dropLast())) { return .string(s) }
        if f.shortForm, let parent = json.value(at: Array(path(f).dropLast())), !Self.isObject(parent) { return parent }
        return nil
    }

    static func isObject(_ v: JSONValue) -> Bool { if case .object = v { true } else { false } }

    /// The field's value as its input shows it.
    func display(_ f: JobField) -> String {
        guard let v = current(f) else { return "" }
        switch (f.kind, v) {
        case (.percent, .number(let share)): return Self.percentText(share * 100)
        case (.pairs, .object(let pairs)): return pairs.map { "\($0.key) = \($0.value.fieldText ?? $0.value.encoded)" }.joined(separator: "\n")
        case (_, .array(let items)): return items.map { $0.fieldText ?? $0.encoded }.joined(separator: ", ")
        case (_, .object): return v.encoded
        default: return v.fieldText ?? v.encoded
        }
    }

    /// The file's template variants the form holds, in order, nil for one added on the page
    /// (the hidden input `variants`: "0,1", "0,+"); the file's own when the form does not say.
    var fileOrder: [Int?] { (0..<variants.count).map { $0 } }

    static func order(_ raw: String?) -> [Int?]? {
        guard let raw, !raw.isEmpty else { return nil }
        var order: [Int?] = []
        for part in raw.split(separator: ",") {
            if part == "+" { order.append(nil) } else if let i = Int(part), i >= 0 { order.append(i) } else { return nil }
        }
        return order
    }

    /// A variant added on the page: its shared text, empty (the check asks for it at its field).
    static let newVariant = JSONValue.object([("text", .string(""))])

    /// A cell of a `rows` field as the file has it ("" when empty).
    func cell(_ f: JobField, row: Int, key: String) -> String { json.value(at: path(f) + ["\(row)", key])?.fieldText ?? "" }

    static func describe(_ order: [Int?]) -> String { order.map { $0.map(String.init) ?? "+" }.joined(separator: ",") }

    /// The file with its variants as the form holds them: some removed, new ones empty.
    func arranged(_ order: [Int?]) -> JobForm {
        let items: [JSONValue] = if case .array(let t)? = json["templates"] { t } else { [] }
        let arranged = order.map { i in i.flatMap { items.indices.contains($0) ? items[$0] : nil } ?? Self.newVariant }
        return JobForm(json: json.setting(["templates"], to: .array(arranged)))
    }

    /// The file with the form's values (inputs named `f:PATH`, variants as `variants` orders
    /// them); a field not on the form is left alone.
    func applying(_ form: [String: String]) -> JSONValue {
        if let order = Self.order(form["variants"]), order != fileOrder { return arranged(order).applyingFields(form) }
        return applyingFields(form)
    }

    /// A variant added (`add`) or removed (`remove-N`) on the page, after the form's values:
    /// the file as edited and the new order. The last variant is never removed.
    func changingVariants(_ action: String, form: [String: String]) -> (json: JSONValue, order: [Int?]) {
        var order = Self.order(form["variants"]) ?? fileOrder
        var edited = applying(form)
        var items: [JSONValue] = if case .array(let t)? = edited["templates"] { t } else { [] }
        if action == "add" {
            items.append(Self.newVariant)
            order.append(nil)
        } else if action.hasPrefix("remove-"), let n = Int(action.dropFirst("remove-".count)), items.indices.contains(n), items.count > 1,
                  order.indices.contains(n) {
            items.remove(at: n)
            order.remove(at: n)
        }
        edited = edited.setting(["templates"], to: .array(items))
        return (edited, order)
    }

    func applyingFields(_ form: [String: String]) -> JSONValue {
        var out = json
        for f in fields + variants.flatMap({ $0.map(\.field) }) {
            if case .rows(let columns) = f.kind {
                if let rows = rows(f, columns: columns, form: form), !Self.same(current(f) ?? .array([]), rows) { out = out.setting(path(f), to: rows) }
                continue
            }
            guard let raw = form["f:" + f.name] else { continue }
            let current = self.current(f)
            let new = Self.value(raw, kind: f.kind)
            // An unchanged value keeps the file's own spelling (a number written 2.0, a list order).
            if let current, let new, Self.same(current, new) { continue }
            // A key the file leaves out, posted as what applies without it (a select always sends
            // one of its options): still left out.
            if current == nil, raw.trimmingCharacters(in: .whitespaces) == (f.fallback ?? (f.kind == .toggle ? "false" : "")) { continue }
            // An SMS written as a plain string ("sms": "…") keeps that form, and so does a share
            // written alone ("holdout": 0.05).
            if f.path.last == "text", case .string? = json.value(at: Array(path(f).dropLast())) {
                out = out.setting(Array(path(f).dropLast()), to: new)
                continue
            }
            if f.shortForm, let parent = json.value(at: Array(path(f).dropLast())), !Self.isObject(parent) {
                out = out.setting(Array(path(f).dropLast()), to: new)
                continue
            }
            out = out.setting(path(f), to: new)
        }
        return out
    }

    /// How many rows a `rows` field shows: the file's, and one empty to add another.
    func rowCount(_ f: JobField) -> Int {
        if case .array(let items)? = current(f) { return items.count + 1 }
        return 1
    }

    /// A `rows` field's list from its cells (`f:NAME.ROW.KEY`); nil when the form has none of
    /// them. A row whose cells are all empty is removed; keys the table does not show are kept.
    func rows(_ f: JobField, columns: [JobField.Column], form: [String: String]) -> JSONValue? {
        let existing: [JSONValue] = if case .array(let items)? = current(f) { items } else { [] }
        var rows: [JSONValue] = [], posted = false
        for row in 0..<rowCount(f) {
            var item = existing.indices.contains(row) ? existing[row] : .object([])
            var filled = false
            for c in columns {
                guard let raw = form["f:\(f.name).\(row).\(c.key)"] else { continue }
                posted = true
                let text = raw.trimmingCharacters(in: .whitespaces)
                filled = filled || !text.isEmpty
                item = item.setting([c.key], to: text.isEmpty ? nil : .string(text))
            }
            if filled { rows.append(item) }
        }
        return posted ? .array(rows) : nil
    }

    /// A typed value from an input; nil when empty (the key is removed: its default applies).
    /// What does not read as its kind stays a string, so that the check names the problem at
    /// the field instead of the form dropping what was typed.
    static func value(_ raw: String, kind: JobField.Kind) -> JSONValue? {
        let text = raw.replacingOccurrences(of: "\r\n", with: "\n")
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind {
        case .paragraph: return text.isEmpty ? nil : .string(text)
        case _ where trimmed.isEmpty: return nil
        case .number: return Int(trimmed).map { .number(Double($0)) } ?? .string(trimmed)
        case .percent:
            // "5", "5%", "2,5": the file holds the fraction.
            let number = trimmed.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: ",", with: ".").trimmingCharacters(in: .whitespaces)
            return Double(number).map { .number(($0 * 1000).rounded() / 100_000) } ?? .string(trimmed)
        case .numbers:
            return .array(trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .map { Int($0).map { .number(Double($0)) } ?? .string($0) })
        case .money: return (try? Money.parse(trimmed).get()).map { .number(Double($0)) } ?? .string(trimmed)
        case .toggle: return trimmed == "true" ? .bool(true) : trimmed == "false" ? .bool(false) : .string(trimmed)
        case .ordered(let allowed):
            let items = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let numeric = allowed.allSatisfy { Int($0) != nil }
            return .array(items.map { numeric ? Int($0).map { .number(Double($0)) } ?? .string($0) : .string($0) })
        case .list:
            return .array(trimmed.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 != .string("") })
        case .pairs:
            // One value without "=" is the short form a field may take ("fallbackAfter": "10m").
            guard trimmed.contains("=") else { return .string(trimmed) }
            let pairs = trimmed.split(separator: "\n").compactMap { line -> (String, JSONValue)? in
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty else { return nil }
                return (parts[0], .string(parts[1]))
            }
            return .ordered(pairs)
        default: return .string(trimmed)
        }
    }

    /// "5", "2.5": a percentage without trailing zeros.
    static func percentText(_ p: Double) -> String {
        p == p.rounded() ? String(Int(p)) : String(format: "%g", p)
    }

    /// Equal as the job reads them: objects whatever their keys' order.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        // One value or a list of one: the same to a key that takes either ("gender": "female").
        if case .array(let items) = b, items.count == 1, case .string = a { return a == items[0] }
        if case .object(let x) = a, case .object(let y) = b {
            return x.count == y.count && x.allSatisfy { p in y.contains { $0.key == p.key && same($0.value, p.value) } }
        }
        return a == b
    }

    /// The text to save: the file as it was when nothing changed (not one byte), else the new
    /// document in the one stable form (LF, two spaces).
    static func text(original: String, json: JSONValue, edited: JSONValue) -> String {
        edited == json ? original : edited.pretty
    }

    /// Which form input a problem's path belongs to ("templates[0].sms" → the SMS text of the
    /// first variant), if any; the fields' names in the form's notation.
    func field(for problemPath: String, names: [String]) -> String? {
        let dotted = problemPath.replacingOccurrences(of: "[", with: ".").replacingOccurrences(of: "]", with: "")
        let plain = dotted.hasPrefix("rules.") && !names.contains(dotted) ? String(dotted.dropFirst("rules.".count)) : dotted
        for candidate in [plain, dotted] {
            if names.contains(candidate) { return candidate }
            // A problem of an object goes to its first field ("templates.0.sms" → "templates.0.sms.text").
            if let inner = names.first(where: { $0.hasPrefix(candidate + ".") }) { return inner }
        }
        // A problem inside a field's value (a pair of the Zalo parameters, a list item).
        return names.filter { plain.hasPrefix($0 + ".") || dotted.hasPrefix($0 + ".") }.max { $0.count < $1.count }
    }
}
