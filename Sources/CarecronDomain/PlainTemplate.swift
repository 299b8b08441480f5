/// A text template made only of literal text and variables (`{{customer.givenName}}`,
/// `{{{shop.name}}}`, `{{& optOut}}`), compiled once into its pieces so that a message is the
/// literal parts joined with the customer's values, without swift-mustache walking its tokens
/// and casting its context for each of a campaign's million messages (issue 30: Mustache was
/// 12 of the campaign's 40 CPU seconds). Anything else (a section, a partial, a transform, a
/// comment, changed delimiters) is left to Mustache; so is a value that is not text, so the
/// output is Mustache's own in every case (`PlainTemplateTests` compares them).
struct PlainTemplate: Sendable {
    enum Piece: Sendable, Equatable {
        case text(String)
        case variable([String])
    }

    let pieces: [Piece]

    /// nil when the template holds anything but text and plain variables whose every name part
    /// is a known variable's value.
    init?(_ source: String) {
        // Mustache's template starts with the content-type tag, standalone on its line: a
        // first line of blanks after it is dropped. Such a template is left to Mustache.
        if let firstBreak = source.firstIndex(where: \.isNewline), source[..<firstBreak].allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
        var pieces: [Piece] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            var after = rest[open.upperBound...]
            let triple = after.first == "{"
            if triple { after = after.dropFirst() }
            guard let close = after.range(of: triple ? "}}}" : "}}") else { return nil }
            var name = Substring(after[..<close.lowerBound].trimmedSpaces)
            if !triple, name.first == "&" { name = Substring(name.dropFirst().trimmedSpaces) }
            guard Self.isPlainName(name) else { return nil }
            pieces.append(.variable(name.split(separator: ".").map(String.init)))
            rest = after[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        self.pieces = pieces
    }

    /// A dotted name of letters and digits that names a known value (not a list or an object,
    /// which Mustache would render its own way).
    static func isPlainName(_ name: Substring) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) else {
            return false
        }
        var node: TemplateVariable = .object(TemplateVariable.all)
        for part in parts {
            guard case .object(let children) = node, let child = children[String(part)] else { return false }
            node = child
        }
        if case .value = node { return true }
        return false
    }

    /// The message, or nil when a variable holds something other than text (Mustache renders it).
    func render(_ context: [String: Any]) -> String? {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .variable(let path):
                switch Self.lookUp(path, in: context) {
                case .missing: continue
                case .text(let value): out += value
                case .other: return nil
                }
            }
        }
        return out
    }

    enum Found { case missing, text(String), other }

    /// Mustache's dotted-name rule at the top of the context: each part within the last; a part
    /// not found renders nothing.
    static func lookUp(_ path: [String], in context: [String: Any]) -> Found {
        // The first part straight from the context: casting the whole context to a dictionary
        // of strings would check every one of its values first.
        guard let head = path.first, var node = context[head] else { return .missing }
        for part in path.dropFirst() {
            if let map = node as? [String: String] {
                guard let value = map[part] else { return .missing }
                node = value
            } else if let map = node as? [String: Any] {
                guard let value = map[part] else { return .missing }
                node = value
            } else {
                return .other
            }
        }
        if let text = node as? String { return .text(text) }
        if let text = node as? Substring { return .text(String(text)) }
        return .other
    }
}
