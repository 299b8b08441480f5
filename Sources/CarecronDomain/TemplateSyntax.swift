import Mustache

/// A template's syntax error as a marketer can act on it: which section is not closed and where
/// it was opened, which tag closes the wrong one, rather than the parser's case name at the end
/// of the text.
enum TemplateSyntax {
    struct Tag {
        let sigil: Character?
        let name: String
        let line: Int
        let column: Int
    }

    static func explain(_ error: Error, in source: String, line: Int, column: Int) -> String {
        let at = "at line \(line), column \(column)"
        guard let error = error as? MustacheTemplate.Error else {
            // The scanner's own errors (a tag cut short by the end of the text).
            return sectionProblem(in: source) ?? "a tag is not finished \(at): every {{ needs its }} and a name"
        }
        switch error {
        case .expectedSectionEnd, .sectionCloseNameIncorrect:
            return sectionProblem(in: source) ?? "a section is not closed where it should be (\(at))"
        case .unfinishedName:
            return "a tag is not finished \(at): every {{ needs its }} and a name"
        case .invalidSetDelimiter:
            return "the delimiter tag {{=…=}} is malformed \(at)"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable:
            return "a {{% …}} tag is not one carecron knows \(at)"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            return "template inheritance ({{<…}}, {{$…}}) is not supported in messages (\(at))"
        }
    }

    /// The first section that is closed by the wrong name, or never closed.
    static func sectionProblem(in source: String) -> String? {
        var open: [Tag] = []
        for tag in tags(in: source) {
            switch tag.sigil {
            case "#", "^":
                open.append(tag)
            case "/":
                guard let last = open.popLast() else {
                    return "{{/\(tag.name)}} at line \(tag.line), column \(tag.column) closes a section that was never opened"
                }
                if last.name != tag.name {
                    return "{{/\(tag.name)}} at line \(tag.line), column \(tag.column) closes {{\(last.sigil!)\(last.name)}}, opened at line \(last.line), column \(last.column); close that one first with {{/\(last.name)}}"
                }
            default:
                continue
            }
        }
        guard let unclosed = open.last else { return nil }
        return "the section {{\(unclosed.sigil!)\(unclosed.name)}} opened at line \(unclosed.line), column \(unclosed.column) is never closed: add {{/\(unclosed.name)}}"
    }

    /// Tags with their positions (1-based line and column, in characters).
    static func tags(in source: String) -> [Tag] {
        var out: [Tag] = []
        let chars = Array(source)
        var i = 0, line = 1, column = 1
        while i < chars.count {
            if chars[i] == "{", i + 1 < chars.count, chars[i + 1] == "{" {
                let (tagLine, tagColumn) = (line, column)
                var j = i + 2
                let triple = j < chars.count && chars[j] == "{"
                if triple { j += 1 }
                var inner = ""
                while j < chars.count, !(chars[j] == "}" && j + 1 < chars.count && chars[j + 1] == "}") {
                    inner.append(chars[j])
                    j += 1
                }
                let name = inner.trimmedSpaces
                var sigil: Character?
                if let first = name.first, "#^/&!>$<=%".contains(first) { sigil = first }
                out.append(Tag(sigil: sigil, name: sigil == nil ? name : String(name.dropFirst()).trimmedSpaces,
                               line: tagLine, column: tagColumn))
                // Advance the position over the tag, counting its line breaks.
                let end = min(chars.count, j + (triple ? 3 : 2))
                while i < end {
                    if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
                    i += 1
                }
                continue
            }
            if chars[i] == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
        return out
    }
}
