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

    static func explain(_ error: Error, in source: String, line: Int, column: Int) -> Sentence {
        let at: [String: Sentence.Value] = ["line": .number(line), "column": .number(column)]
        guard let error = error as? MustacheTemplate.Error else {
            // The scanner's own errors (a tag cut short by the end of the text).
            return sectionProblem(in: source) ?? Sentence("template.unfinished", at)
        }
        switch error {
        case .expectedSectionEnd, .sectionCloseNameIncorrect:
            return sectionProblem(in: source) ?? Sentence("template.not_closed", at)
        case .unfinishedName:
            return Sentence("template.unfinished", at)
        case .invalidSetDelimiter:
            return Sentence("template.delimiter", at)
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable:
            return Sentence("template.config_tag", at)
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            return Sentence("template.inheritance", at)
        }
    }

    /// The first section that is closed by the wrong name, or never closed.
    static func sectionProblem(in source: String) -> Sentence? {
        var open: [Tag] = []
        for tag in tags(in: source) {
            switch tag.sigil {
            case "#", "^":
                open.append(tag)
            case "/":
                guard let last = open.popLast() else {
                    return Sentence("template.close_unopened", ["tag": .text("{{/\(tag.name)}}"), "line": .number(tag.line), "column": .number(tag.column)])
                }
                if last.name != tag.name {
                    return Sentence("template.close_wrong", ["tag": .text("{{/\(tag.name)}}"), "line": .number(tag.line), "column": .number(tag.column),
                                                             "opened": .text("{{\(last.sigil!)\(last.name)}}"), "openedLine": .number(last.line),
                                                             "openedColumn": .number(last.column), "close": .text("{{/\(last.name)}}")])
                }
            default:
                continue
            }
        }
        guard let unclosed = open.last else { return nil }
        return Sentence("template.never_closed", ["opened": .text("{{\(unclosed.sigil!)\(unclosed.name)}}"), "line": .number(unclosed.line),
                                                  "column": .number(unclosed.column), "close": .text("{{/\(unclosed.name)}}")])
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
