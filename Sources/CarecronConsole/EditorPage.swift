import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation

/// Editing a job file: the text checked as `validate` checks it, each problem at its line;
/// every variant rendered for the sample customers; and the plan diff of the next 7 days
/// against the saved file.
struct EditorPage {
    let config: ShopConfig
    let jobs: [JobDefinition]
    let store: any CareStore
    let words: ScheduleWords
    let files: JobFiles

    struct Model: PageModel {
        struct Problem: Encodable {
            let line: Int
            let path: String
            let message: String
            let warning: Bool
        }

        struct Line: Encodable {
            let n: Int
            let text: String
            let problems: [Problem]
            let bad: Bool
        }

        struct Value: Encodable { let value: String }
        struct Number: Encodable { let n: Int }
        struct Name: Encodable { let name: String }

        struct Version: Encodable {
            let file: String
            let at: String
            let user: String
        }

        struct Sample: Encodable {
            let variant: String
            let customer: String
            let channel: String
            let text: String
            var subject: String?
            var segments: String?
        }

        let name: String
        let text: String
        let base: String
        let lines: [Line]
        let problems: [Problem]
        let errorCount: Int
        let valid: Bool
        let recipients: [Value]
        let noRecipients: Bool
        let variants: [Number]
        let channels: [Name]
        let history: [Version]
        var samples: [Sample]?
        var hasSamples: Bool?
        var diff: Diff?
        /// After a save; after a save refused (the file changed on disk, or the text is invalid).
        var saved: Bool?
        var conflict: Bool?
        var invalid: Bool?
        /// A test send's outcome, the message as sent, and whether it went out or was limited.
        var testResult: String?
        var testMessage: MessageView?
        var testSent: Bool?
        var testLimited: Bool?
        /// How the test was composed: as the plan's next message (which time, orders, variant) or not.
        var testComposition: String?
    }

    /// The next 7 days with the saved file and with the edit, compared.
    struct Diff: Encodable {
        struct Count: Encodable {
            let job: String
            let channel: String
            let change: String
            let changeLabel: String
            let count: Int
        }

        struct Item: Encodable {
            let change: String
            let changeLabel: String
            let job: String
            let channel: String
            let customerId: String
            let orders: String
            let at: String
            var beforeText: String?
            var beforeAt: String?
            var afterText: String?
        }

        let changes: Int
        let none: Bool
        let counts: [Count]
        let segmentsBefore: Int
        let segmentsAfter: Int
        let segmentsDelta: String
        let items: [Item]
        var more: Int?
    }

    func model(name: String, text: String, base: String, now: Date) async throws -> Model {
        let (job, diagnostics) = JobLoader.check(text: text, name: name, config: config)
        let lineMap = JSONReader.lineMap(text)
        let problems = diagnostics.map { d -> Model.Problem in
            // A syntax error names its own line; the rest are placed by their JSON path.
            let line = Self.syntaxLine(d.message) ?? JSONReader.line(of: d.path, in: lineMap) ?? 1
            return Model.Problem(line: line, path: d.path, message: d.text(words.language), warning: d.severity == .warning)
        }
        let byLine = Dictionary(grouping: problems, by: \.line)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { i, line in
            Model.Line(n: i + 1, text: String(line), problems: byLine[i + 1] ?? [], bad: byLine[i + 1] != nil)
        }
        let saved = jobs.first { $0.name == name }
        var model = Model(
            name: name, text: text, base: base, lines: lines, problems: problems,
            errorCount: diagnostics.filter { $0.severity == .error }.count, valid: job != nil,
            recipients: config.console.testRecipients.map(Model.Value.init),
            noRecipients: config.console.testRecipients.isEmpty,
            variants: (1...max(1, saved?.templates.count ?? 1)).map(Model.Number.init),
            channels: (saved?.channels ?? []).map { Model.Name(name: $0.rawValue) },
            history: files.history(name).map { Model.Version(file: $0.file, at: words.instant($0.at, clock: config.clock), user: $0.user) })
        if let job {
            model.samples = samples(job, now: now)
            model.hasSamples = true
            model.diff = try await diff(job, now: now)
        }
        return model
    }

    static func syntaxLine(_ message: String) -> Int? {
        guard let r = message.range(of: "invalid JSON at line ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }

    /// Every variant on each of the job's channels for the sample customers.
    func samples(_ job: JobDefinition, now: Date) -> [Model.Sample] {
        CarePlanner(policy: config.policy, jobs: [job]).samples(at: now).map { e in
            var s = Model.Sample(variant: e.keys.first.map { String($0.split(separator: ":").last ?? "") } ?? "",
                                 customer: e.to ?? "", channel: e.channel?.rawValue ?? "", text: e.text ?? "")
            s.subject = e.subject
            if e.channel == .sms, let text = e.text {
                let seg = MessageRules.smsSegments(text)
                s.segments = "\(seg.segments) × \(seg.encoding.rawValue)"
            }
            return s
        }
    }

    /// The next 7 days planned with the saved jobs and with this edit, compared.
    func diff(_ job: JobDefinition, now: Date) async throws -> Diff {
        let clock = config.clock
        let from = clock.startOfDay(clock.localDate(of: now)), to = from.addingTimeInterval(7 * 86_400)
        var edited = jobs.filter { $0.name != job.name }
        edited.append(job)
        let before = CarePlanner(policy: config.policy, jobs: jobs), after = CarePlanner(policy: config.policy, jobs: edited)
        let input = try await store.planningInput(for: after, jobs: jobs + [job], from: from, to: to)
        let d = PlanDiff(before: before.plan(input, from: from, to: to), after: after.plan(input, from: from, to: to))
        return Diff(
            changes: d.items.count, none: d.items.isEmpty,
            counts: d.counts.map { Diff.Count(job: $0.job, channel: $0.channel, change: $0.change.rawValue,
                                              changeLabel: words.word("change_\($0.change.rawValue)"), count: $0.count) },
            segmentsBefore: d.segmentsBefore, segmentsAfter: d.segmentsAfter,
            segmentsDelta: (d.segmentsAfter >= d.segmentsBefore ? "+" : "") + String(d.segmentsAfter - d.segmentsBefore),
            items: d.items.prefix(300).map { i in
                let e = i.event
                var r = Diff.Item(change: i.change.rawValue, changeLabel: words.word("change_\(i.change.rawValue)"), job: e.job,
                                  channel: e.channel?.rawValue ?? "", customerId: e.customerId, orders: e.orderIds.joined(separator: ", "),
                                  at: words.instant(e.at, clock: clock))
                if let b = i.before { r.beforeText = b.text ?? ""; r.beforeAt = words.instant(b.at, clock: clock) }
                if let a = i.after { r.afterText = a.text ?? "" }
                return r
            },
            more: d.items.count > 300 ? d.items.count - 300 : nil)
    }
}
