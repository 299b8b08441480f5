import CarecronConfig
import CarecronDomain
import Foundation

/// Editing a job in a form (the marketer's way; the JSON stays as "Nâng cao"): the fields of
/// its type with their labels, units and help in the page's language, each problem at its
/// field, every template variant as tabs by channel, and the same samples and plan diff as the
/// JSON editor, from the same checks.
struct FormPage {
    let editor: EditorPage
    var words: ScheduleWords { editor.words }

    struct Input: Encodable {
        let name: String
        let id: String
        let label: String
        var help: String?
        var unit: String?
        let value: String
        var placeholder: String?
        var line: Bool?
        var paragraph: Bool?
        /// Lines `name = value`: a small textarea, one pair a line.
        var pairs: Bool?
        var number: Bool?
        var min: Int?
        var max: Int?
        /// "any" where a fraction is allowed (a percentage such as 2.5).
        var step: String?
        var choices: [Choice]? { didSet { hasChoices = choices.map { !$0.isEmpty } } }
        var hasChoices: Bool?
        var sms: Bool?
        var problems: [String] = [] { didSet { hasProblems = problems.isEmpty ? nil : true } }
        var hasProblems: Bool?
        /// Said beside the value (a schedule's next runs, in words).
        var note: String?
        /// A list of objects, as a table.
        var table: Table?
    }

    struct Table: Encodable {
        struct Cell: Encodable {
            let name: String
            let id: String
            let label: String
            let value: String
            let placeholder: String
        }
        struct Row: Encodable {
            let cells: [Cell]
        }
        let headers: [String]
        let rows: [Row]
    }

    struct Tab: Encodable {
        let id: String
        let label: String
        let inputs: [Input]
        let first: Bool
    }

    struct Variant: Encodable {
        let n: Int
        let index: Int
        let removable: Bool
        let tabs: [Tab]
    }

    struct Model: PageModel {
        let name: String
        let base: String
        let inputs: [Input]
        let variants: [Variant]
        /// Which of the file's variants the form holds ("0,1,+"): kept across a variant added
        /// or removed on the page until it is saved.
        let variantOrder: String
        let snippets: [String]
        let results: Results
        let history: [EditorPage.Model.Version]
        var saved: Bool?
        var conflict: Bool?
        var invalid: Bool?
        var unchanged: Bool?
        /// A variant was added or removed on the page, not yet saved.
        var variantsChanged: Bool?
    }

    /// What the check says of the form as it stands: problems by field and the rest, samples,
    /// the plan diff (also the fragment the page's script asks for as one types).
    struct Results: PageModel {
        struct FieldProblem: Encodable {
            let field: String
            /// The field as its label names it (the link to it), and its element's id.
            let label: String
            let anchor: String
            let message: String
            let warning: Bool
        }

        let fieldProblems: [FieldProblem]
        let otherProblems: [EditorPage.Model.Problem]
        let errorCount: Int
        let valid: Bool
        var samples: [EditorPage.Model.Sample]?
        var hasSamples: Bool?
        var diff: EditorPage.Diff?
        /// A campaign's audience, next occasions and cost, as edited.
        var campaign: CampaignPanel?
    }

    func model(name: String, original: String, edited: JSONValue, json: JSONValue, base: String, now: Date,
               order: [Int?]? = nil) async throws -> Model {
        let form = JobForm(json: edited)
        let text = JobForm.text(original: original, json: json, edited: edited)
        let checked = try await editor.model(name: name, text: text, base: base, now: now)
        let names = (form.fields + form.variants.flatMap { $0.map(\.field) }).map(\.name)
        let all = form.fields + form.variants.flatMap { $0.map(\.field) }
        let labels = Dictionary(all.map { ($0.name, $0.label.text(words.language)) }, uniquingKeysWith: { a, _ in a })
        var byField: [String: [String]] = [:], fieldProblems: [Results.FieldProblem] = [], other: [EditorPage.Model.Problem] = []
        for p in checked.problems {
            if let f = form.field(for: p.path, names: names) {
                byField[f, default: []].append(p.message)
                let variant = f.hasPrefix("templates.") ? " (" + words.word("form_variant") + " " + String((Int(f.split(separator: ".")[1]) ?? 0) + 1) + ")" : ""
                fieldProblems.append(Results.FieldProblem(field: f, label: (labels[f] ?? f) + variant, anchor: "field-f-" + f.replacingOccurrences(of: ".", with: "-"),
                                                          message: p.message, warning: p.warning))
            } else {
                other.append(p)
            }
        }
        // When the job sends, in words and by its next runs (with the year), beside its schedule.
        var notes: [String: String] = [:]
        // The edited file read once for what the form says beside its fields.
        let edited = JobLoader.check(text: text, name: name, config: editor.config).job
        if let job = edited, job.schedule.description != "* * * * *" || !job.rules.takesSchedule {
            let clock = editor.config.clock
            let runs = job.rules.runs(job, after: now, count: 3, clock: clock).map { words.instant($0, clock: clock) }
            let said = words.word("form_next_runs", ["timing": words.timing(job), "runs": runs.joined(separator: ", ")])
            notes[job.rules.takesSchedule ? "schedule" : "when.time"] = said
        }
        func input(_ f: JobField) -> Input {
            var i = self.input(f, form: form, problems: byField[f.name] ?? [])
            i.note = notes[f.name]
            return i
        }
        let variants = form.variants.enumerated().map { i, fields in
            Variant(n: i + 1, index: i, removable: form.variants.count > 1, tabs: ["", "zalo", "sms", "email"].enumerated().map { t, tab in
                Tab(id: "v\(i)-\(tab.isEmpty ? "all" : tab)", label: words.word(tab.isEmpty ? "form_tab_all" : "channel_\(tab)"),
                    inputs: fields.filter { $0.tab == tab }.map { input($0.field) }, first: t == 0)
            })
        }
        var results = Results(fieldProblems: fieldProblems, otherProblems: other, errorCount: checked.errorCount, valid: checked.valid,
                              samples: checked.samples, hasSamples: checked.hasSamples, diff: checked.diff)
        if let job = edited {
            let page = CampaignsPage(config: editor.config, jobs: editor.jobs, store: editor.store, words: words)
            results.campaign = try await CampaignPanel.make(job, page: page, now: now)
        }
        return Model(name: name, base: base, inputs: form.fields.map(input), variants: variants,
                     variantOrder: JobForm.describe(order ?? form.fileOrder), snippets: TemplateVariable.snippets,
                     results: results, history: checked.history)
    }

    /// A `rows` field's table: the file's rows and an empty one to add another.
    func table(_ f: JobField, columns: [JobField.Column], form: JobForm) -> Table {
        let language = words.language
        let rows = (0..<form.rowCount(f)).map { row in
            Table.Row(cells: columns.map { c in
                let name = "\(f.name).\(row).\(c.key)"
                let value = form.cell(f, row: row, key: c.key)
                return Table.Cell(name: "f:" + name, id: "f-" + name.replacingOccurrences(of: ".", with: "-"),
                                  label: c.label.text(language) + " (\(row + 1))", value: value,
                                  placeholder: c.time ? (c.optional ? "—" : "hh:mm") : "")
            })
        }
        return Table(headers: columns.map { $0.label.text(language) + ($0.optional ? " " + words.word("form_optional") : "") }, rows: rows)
    }

    func input(_ f: JobField, form: JobForm, problems: [String]) -> Input {
        let language = words.language
        var i = Input(name: "f:" + f.name, id: "f-" + f.name.replacingOccurrences(of: ".", with: "-"), label: f.label.text(language),
                      value: form.display(f))
        i.help = f.help?.text(language)
        i.unit = f.unit?.text(language)
        i.placeholder = f.fallback
        i.problems = problems
        switch f.kind {
        case .paragraph:
            i.paragraph = true
            if f.path.contains("sms") { i.sms = true }
        case .number(let range), .percent(let range):
            i.number = true
            i.min = range.lowerBound
            i.max = range.upperBound
            if case .percent = f.kind { i.step = "any" }
        case .pairs:
            i.pairs = true
        case .toggle:
            let value = i.value.isEmpty ? (f.fallback ?? "false") : i.value
            i.choices = [("true", "yes"), ("false", "no")].map { Choice(value: $0.0, label: words.word($0.1), selected: value == $0.0) }
        case .choice(let values):
            let value = i.value.isEmpty ? (f.fallback ?? "") : i.value
            i.choices = values.map { Choice(value: $0, label: words.word("value_\($0)") == "value_\($0)" ? $0 : words.word("value_\($0)"), selected: $0 == value) }
        case .rows(let columns):
            i.table = table(f, columns: columns, form: form)
        case .ordered(let values):
            i.line = true
            i.help = [i.help, words.word("form_allowed", ["values": values.joined(separator: ", ")])].compactMap { $0 }.joined(separator: " ")
        default:
            i.line = true
        }
        return i
    }
}
