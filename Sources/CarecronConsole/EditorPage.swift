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

    func model(name: String, text: String, base: String, now: Date) async throws -> [String: Any] {
        let (job, diagnostics) = JobLoader.check(text: text, name: name, config: config)
        let lineMap = JSONReader.lineMap(text)
        let problems = diagnostics.map { d -> [String: Any] in
            // A syntax error names its own line; the rest are placed by their JSON path.
            let line = Self.syntaxLine(d.message) ?? JSONReader.line(of: d.path, in: lineMap) ?? 1
            return ["line": line, "path": d.path, "message": d.message, "warning": d.severity == .warning]
        }
        let byLine = Dictionary(grouping: problems, by: { $0["line"] as! Int })
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { i, line -> [String: Any] in
            ["n": i + 1, "text": String(line), "problems": byLine[i + 1] ?? [], "bad": byLine[i + 1] != nil]
        }
        var model: [String: Any] = [
            "name": name, "text": text, "base": base, "lines": lines, "problems": problems,
            "errorCount": diagnostics.filter { $0.severity == .error }.count, "valid": job != nil,
            "recipients": config.console.testRecipients.map { ["value": $0] },
            "noRecipients": config.console.testRecipients.isEmpty,
            "variants": (1...max(1, jobs.first { $0.name == name }?.templates.count ?? 1)).map { ["n": $0] },
            "channels": (jobs.first { $0.name == name }?.channels ?? []).map { ["name": $0.rawValue] },
            "history": files.history(name).map { ["file": $0.file, "at": words.instant($0.at, clock: config.clock), "user": $0.user] },
        ]
        if let job {
            model["samples"] = samples(job, now: now)
            model["hasSamples"] = true
            model["diff"] = try await diff(job, now: now)
        }
        return model
    }

    static func syntaxLine(_ message: String) -> Int? {
        guard let r = message.range(of: "invalid JSON at line ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }

    /// Every variant on each of the job's channels for the sample customers.
    func samples(_ job: JobDefinition, now: Date) -> [[String: Any]] {
        CarePlanner(policy: config.policy, jobs: [job]).samples(at: now).map { e in
            var s: [String: Any] = ["variant": e.keys.first.map { String($0.split(separator: ":").last ?? "") } ?? "",
                                    "customer": e.to ?? "", "channel": e.channel?.rawValue ?? "", "text": e.text ?? ""]
            if let subject = e.subject { s["subject"] = subject }
            if e.channel == .sms, let text = e.text {
                let seg = MessageRules.smsSegments(text)
                s["segments"] = "\(seg.segments) × \(seg.encoding.rawValue)"
            }
            return s
        }
    }

    /// The next 7 days planned with the saved jobs and with this edit, compared.
    func diff(_ job: JobDefinition, now: Date) async throws -> [String: Any] {
        let clock = config.clock
        let from = clock.startOfDay(clock.localDate(of: now)), to = from.addingTimeInterval(7 * 86_400)
        var edited = jobs.filter { $0.name != job.name }
        edited.append(job)
        let before = CarePlanner(policy: config.policy, jobs: jobs), after = CarePlanner(policy: config.policy, jobs: edited)
        let input = try await store.planningInput(for: after, jobs: jobs + [job], from: from, to: to)
        let d = PlanDiff(before: before.plan(input, from: from, to: to), after: after.plan(input, from: from, to: to))
        return [
            "changes": d.items.count, "none": d.items.isEmpty,
            "counts": d.counts.map { ["job": $0.job, "channel": $0.channel, "change": $0.change.rawValue,
                                        "changeLabel": words.word("change_\($0.change.rawValue)"), "count": $0.count] as [String: Any] },
            "segmentsBefore": d.segmentsBefore, "segmentsAfter": d.segmentsAfter,
            "segmentsDelta": (d.segmentsAfter >= d.segmentsBefore ? "+" : "") + String(d.segmentsAfter - d.segmentsBefore),
            "items": d.items.prefix(300).map { i -> [String: Any] in
                let e = i.event
                var r: [String: Any] = ["change": i.change.rawValue, "changeLabel": words.word("change_\(i.change.rawValue)"), "job": e.job, "channel": e.channel?.rawValue ?? "",
                                        "customerId": e.customerId, "orders": e.orderIds.joined(separator: ", "),
                                        "at": words.instant(e.at, clock: clock)]
                if let b = i.before { r["beforeText"] = b.text ?? ""; r["beforeAt"] = words.instant(b.at, clock: clock) }
                if let a = i.after { r["afterText"] = a.text ?? "" }
                return r
            },
        ].merging(d.items.count > 300 ? ["more": d.items.count - 300] : [:]) { a, _ in a }
    }
}
