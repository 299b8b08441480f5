import CarecronDomain
import Foundation

/// One earlier version of a job file, shown against the current one line by line before it is
/// restored: what restoring would take out (−) and put back (+).
struct HistoryPage {
    struct Line: Encodable {
        /// "same", "removed" (in the current file, not in the version), "added" (the reverse).
        let kind: String
        let mark: String
        let text: String
    }

    struct Model: PageModel {
        let name: String
        let file: String
        let at: String
        let user: String
        let lines: [Line]
        let changes: Int
        let identical: Bool
    }

    /// The current file against the version, as restoring would change it; unchanged runs longer
    /// than six lines are cut to their first and last three.
    static func lines(current: String, version: String) -> [Line] {
        let old = current.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let new = version.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let difference = new.difference(from: old)
        var removed = Set<Int>(), added = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): added.insert(offset)
            }
        }
        var out: [Line] = [], i = 0, j = 0
        while i < old.count || j < new.count {
            if i < old.count, removed.contains(i) {
                out.append(Line(kind: "removed", mark: "−", text: old[i])); i += 1
            } else if j < new.count, added.contains(j) {
                out.append(Line(kind: "added", mark: "+", text: new[j])); j += 1
            } else {
                out.append(Line(kind: "same", mark: " ", text: i < old.count ? old[i] : new[j])); i += 1; j += 1
            }
        }
        return collapse(out)
    }

    static func collapse(_ lines: [Line]) -> [Line] {
        var out: [Line] = [], run: [Line] = []
        func flush(_ atEnd: Bool) {
            if run.count > 6 {
                out += out.isEmpty ? [] : Array(run.prefix(3))
                out.append(Line(kind: "gap", mark: "⋯", text: ""))
                out += atEnd ? [] : Array(run.suffix(3))
            } else {
                out += run
            }
            run = []
        }
        for line in lines {
            if line.kind == "same" { run.append(line) } else { flush(false); out.append(line) }
        }
        flush(true)
        return out
    }
}
