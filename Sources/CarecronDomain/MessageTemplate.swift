import Foundation
import Mustache

/// The variables a template may name, as a tree: `customer.salutation`, `orders` (a list whose
/// items have `id`, `amount`, …), `shop.hotline`.
public indirect enum TemplateVariable: Sendable {
    case value
    case object([String: TemplateVariable])
    case list([String: TemplateVariable])

    static let order: [String: TemplateVariable] = [
        "id": .value, "amount": .value, "amountValue": .value, "items": .value,
        "placedAt": .value, "paymentMethod": .value, "expiresAt": .value,
        "deliveryFrom": .value, "deliveryTo": .value, "deliveredAt": .value,
    ]

    /// Every variable a message can use (issue 3's list), whatever the job.
    public static let all: [String: TemplateVariable] = [
        "customer": .object([
            "id": .value, "fullName": .value, "givenName": .value, "salutation": .value,
            "honorific": .value, "tier": .value, "phone": .value, "email": .value,
        ]),
        "order": .object(order),
        "orders": .list(order),
        "ordersCount": .value,
        "totalAmount": .value,
        "shop": .object(["name": .value, "hotline": .value, "website": .value]),
        "agent": .object(["name": .value]),
        "tier": .object(["name": .value, "gift": .value, "discount": .value, "benefits": .value]),
        "voucher": .object(["code": .value, "value": .value, "validUntil": .value]),
        "reminder": .object(["number": .value, "of": .value]),
        "optOut": .value,
        "today": .value,
        // A survey's signed page and its scale ("1–5"); the link only where config.json has `surveys`.
        "survey": .object(["link": .value, "scale": .value, "score": .value, "measure": .value]),
    ]

    /// What a variable picker offers, sorted: each value as `{{customer.salutation}}`, each
    /// list as a section over its items (`{{#orders}}{{id}}{{/orders}}`).
    public static var snippets: [String] {
        func walk(_ prefix: String, _ tree: [String: TemplateVariable]) -> [String] {
            tree.sorted { $0.key < $1.key }.flatMap { key, v -> [String] in
                let name = prefix.isEmpty ? key : "\(prefix).\(key)"
                switch v {
                case .value: return ["{{\(name)}}"]
                case .object(let inner): return walk(name, inner)
                case .list: return ["{{#\(name)}}{{id}}{{^last()}}, {{/last()}}{{/\(name)}}"]
                }
            }
        }
        return walk("", all)
    }
}

public struct TemplateProblem: CodedError, Equatable, Sendable, CustomStringConvertible {
    public var code: ErrorCode { .templateInvalid }
    /// What is wrong, in the catalogue's words (said in the page's language).
    public let sentence: Sentence
    public var message: String { sentence.description }
    public var description: String { message }
}

/// A Mustache template of one message form, checked against the known variables.
public struct MessageTemplate: Sendable {
    public let source: String
    private let template: MustacheTemplate
    /// The same template compiled into text and variables, when it is only that (most are).
    private let plain: PlainTemplate?

    /// Parses `source`; plain text output (no HTML escaping) unless `html` is set.
    public init(_ source: String, html: Bool = false) throws(TemplateProblem) {
        self.source = source
        do {
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: \(html ? "HTML" : "TEXT")}}" + source)
        } catch let e as MustacheTemplate.ParserError {
            let column = e.context.lineNumber == 1 ? max(1, e.context.columnNumber - 24) : e.context.columnNumber
            throw TemplateProblem(sentence: TemplateSyntax.explain(e.error, in: source, line: e.context.lineNumber, column: column))
        } catch {
            throw TemplateProblem(sentence: Sentence("template.unreadable"))
        }
        plain = html ? nil : PlainTemplate(source)
        let unknown = Self.unknownVariables(in: source)
        if !unknown.isEmpty {
            let names = Sentence.Value.text(unknown.map { "{{\($0)}}" }.joined(separator: ", "))
            if let near = Suggest.closest(to: unknown[0], among: Self.allNames(TemplateVariable.all)) {
                throw TemplateProblem(sentence: Sentence(unknown.count > 1 ? "template.unknown_many_near" : "template.unknown_near",
                                                         ["names": names, "near": .text("{{\(near)}}")]))
            }
            throw TemplateProblem(sentence: Sentence(unknown.count > 1 ? "template.unknown_many" : "template.unknown", ["names": names]))
        }
    }

    public func render(_ context: [String: Any]) -> String { plain?.render(context) ?? template.render(context) }

    /// Mustache's own rendering, which `render` matches.
    func renderWithMustache(_ context: [String: Any]) -> String { template.render(context) }

    /// Whether the template renders without Mustache.
    var isPlain: Bool { plain != nil }

    /// Names used in tags that no known variable answers, in the order they appear.
    static func unknownVariables(in source: String, known: [String: TemplateVariable] = TemplateVariable.all) -> [String] {
        var unknown: [String] = []
        var scopes: [[String: TemplateVariable]] = [known]
        for (sigil, rawName) in Self.tags(in: source) {
            let name = Self.stripTransform(rawName)
            if ["!", ">", "<", "=", "%", "$"].contains(sigil) { continue }
            if sigil == "/" {
                if scopes.count > 1 { scopes.removeLast() }
                continue
            }
            // `.` and the sequence transforms `first()`, `last()`, `index()` need no variable.
            let found = name == "." || name.hasSuffix("()") ? TemplateVariable.value : Self.resolve(name, in: scopes)
            if found == nil, !unknown.contains(name) { unknown.append(name) }
            if sigil == "#" || sigil == "^" {
                switch found {
                case .list(let item)?, .object(let item)?: scopes.append(item)
                default: scopes.append([:])
                }
            }
        }
        return unknown
    }

    /// The tags of a template as (sigil, name): `{{#orders}}` is ("#", "orders"). A plain scan:
    /// the regex engine crashed on some malformed job files the fuzz test made.
    static func tags(in source: String) -> [(sigil: String, name: String)] {
        var out: [(sigil: String, name: String)] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            var after = rest[open.upperBound...]
            let triple = after.first == "{"
            if triple { after = after.dropFirst() }
            guard let close = after.range(of: triple ? "}}}" : "}}") else { break }
            var inner = after[..<close.lowerBound].trimmedSpaces
            var sigil = ""
            if let first = inner.first, "#^/&!>$<=%".contains(first) {
                sigil = String(first)
                inner = String(inner.dropFirst()).trimmedSpaces
            }
            out.append((sigil, inner))
            rest = after[close.upperBound...]
        }
        return out
    }

    /// `uppercase(customer.fullName)` names `customer.fullName`.
    private static func stripTransform(_ name: String) -> String {
        guard let open = name.firstIndex(of: "("), name.hasSuffix(")"), !name.hasSuffix("()") else { return name }
        return String(name[name.index(after: open)..<name.index(before: name.endIndex)])
    }

    private static func resolve(_ name: String, in scopes: [[String: TemplateVariable]]) -> TemplateVariable? {
        let parts = name.split(separator: ".").map(String.init)
        guard let head = parts.first else { return nil }
        // Mustache looks a name's first part up from the innermost section outwards.
        for scope in scopes.reversed() {
            guard var node = scope[head] else { continue }
            for part in parts.dropFirst() {
                switch node {
                case .object(let children), .list(let children):
                    guard let child = children[part] else { return nil }
                    node = child
                case .value:
                    return nil
                }
            }
            return node
        }
        return nil
    }

    private static func allNames(_ tree: [String: TemplateVariable], prefix: String = "") -> [String] {
        tree.flatMap { key, node -> [String] in
            switch node {
            case .value: return [prefix + key]
            case .object(let c), .list(let c): return [prefix + key] + allNames(c, prefix: prefix + key + ".")
            }
        }
    }

}

/// "did you mean …?" for names typed by hand.
public enum Suggest {
    public static func closest(to word: String, among candidates: [String]) -> String? {
        // The distance is quadratic in the lengths: a mistyped name is short, a 1 MB one is not a typo.
        guard word.count <= 64 else { return nil }
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        guard let (best, d) = scored.first else { return nil }
        return d <= max(2, word.count / 3) ? best : nil
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var prev = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return row[b.count]
    }
}
