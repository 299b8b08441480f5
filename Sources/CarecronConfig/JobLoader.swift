import CarecronDomain
import Foundation

/// Reads `jobs/*.json`, one job a file, and checks each against the handbook's rules.
public enum JobLoader {
    public static func loadAll(config: ShopConfig) -> (jobs: [JobDefinition], diagnostics: [Diagnostic]) {
        let folder = config.jobsFolder
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            let sink = DiagnosticSink(file: ConfigLoader.displayName(config.file))
            sink.error("jobs", Sentence("config.jobs_folder", ["path": .text(folder.path)]))
            return ([], sink.items)
        }
        var jobs: [JobDefinition] = [], diagnostics: [Diagnostic] = []
        for file in files {
            let sink = DiagnosticSink(file: ConfigLoader.displayName(file), readText: fileReader(config))
            if let root = ConfigLoader.readJSON(file, sink: sink),
               let job = parseJob(root, name: file.deletingPathExtension().lastPathComponent, config: config) {
                JobChecks.check(job, config: config, sink: sink)
                if !sink.hasErrors { jobs.append(job) }
            }
            diagnostics += sink.items
        }
        return (jobs, diagnostics)
    }

    /// A job file's text as `validate` would judge it (the console's editor checks each edit
    /// with this): the job if it has no error, and every problem, named as `jobs/NAME.json`.
    public static func check(text: String, name: String, config: ShopConfig) -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
        let sink = DiagnosticSink(file: "jobs/\(name).json", readText: fileReader(config))
        let root: JSONValue
        do { root = try JSONReader.parse(text) } catch {
            sink.error("$", error.sentence)
            return (nil, sink.items)
        }
        guard let job = parseJob(Field(value: root, path: "$", sink: sink), name: name, config: config) else { return (nil, sink.items) }
        JobChecks.check(job, config: config, sink: sink)
        return (sink.hasErrors ? nil : job, sink.items)
    }

    /// Files a job names (a campaign's customer list), relative to config.json's folder.
    static func fileReader(_ config: ShopConfig) -> @Sendable (String) throws -> String {
        let folder = config.folder
        return { path in
            let url = URL(fileURLWithPath: path, relativeTo: folder).standardizedFileURL
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                throw FileProblem(description: "no such file (looked for \(url.path))")
            }
            guard !isFolder.boolValue else { throw FileProblem(description: "\(url.path) is a folder, not a file") }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw FileProblem(description: "\(url.path) cannot be read (permission denied?)")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw FileProblem(description: "\(url.path) is not UTF-8 text") }
            return text
        }
    }

    /// Why a file a job names could not be read, in a sentence.
    struct FileProblem: Error, CustomStringConvertible {
        let description: String
    }

    static func parseJob(_ root: Field, name: String, config: ShopConfig) -> JobDefinition? {
        guard let o = root.object else { return nil }
        o.allow(["$comment"])
        let type = o.required("type")?.oneOf(JobType.self)
        let description = o.optional("description")?.string ?? ""
        let enabled = o.required("enabled")?.bool
        let plugin = type.flatMap(JobTypeRegistry.rules(for:))
        let schedule: CronSchedule?
        if plugin?.takesSchedule ?? true {
            schedule = o.required("schedule")?.cron
        } else {
            if let s = o.optional("schedule") { s.report(Sentence("check.campaign_schedule")) }
            schedule = try? CronSchedule("* * * * *")
        }
        let purpose = o.required("purpose")?.oneOf(Purpose.self)
        var channels: [ChannelKind]?
        if let list = o.required("channels")?.array {
            let kinds = list.compactMap { $0.oneOf(ChannelKind.self) }
            if list.isEmpty { o.field.child("channels", .null).report(Sentence("check.no_channel")) }
            for (kind, f) in zip(kinds, list) where kind.needsSender && config.channels[kind] == nil {
                f.report(Sentence("check.channel_no_sender", ["channel": .text(kind.rawValue)]))
            }
            if Set(kinds).count != kinds.count { o.field.child("channels", .null).report(Sentence("check.channel_twice")) }
            channels = kinds.count == list.count ? kinds : nil
        }
        let quiet = o.optional("duringQuietHours")?.oneOf(QuietHoursAction.self) ?? .wait
        let fallbackAfter = o.optional("fallbackAfter").flatMap { parseFallbackAfter($0, channels: channels ?? []) }
        let templates = o.required("templates").flatMap(parseTemplates)
        var rules: (any JobRules)?
        if let plugin {
            let r = o.optional("rules")?.object
            rules = plugin.parse(r, job: o, shop: config.policy)
            r?.finish()
        } else {
            o.allow(["rules"])
        }
        let goalWithin = o.optional("goal").flatMap { parseGoal($0, type: type) }
        let experiment = o.optional("experiment").flatMap { parseExperiment($0, variants: templates ?? [], remindsInTurns: rules?.remindsInTurns ?? false) }
        let holdout = o.optional("holdout").flatMap { parseHoldout($0, purpose: purpose, remindsInTurns: rules?.remindsInTurns ?? false) }
        let call = o.optional("call").flatMap { parseCall($0, channels: channels ?? []) }
        o.finish()
        guard let enabled, let schedule, let purpose, let channels, let templates, let rules,
              !root.sink.hasErrors else { return nil }
        var job = JobDefinition(name: name, description: description, enabled: enabled, schedule: schedule,
                                purpose: purpose, channels: channels, duringQuietHours: quiet, templates: templates, rules: rules)
        job.fallbackAfter = fallbackAfter ?? [:]
        job.holdout = holdout
        job.goalWithin = goalWithin
        job.experiment = experiment
        job.call = call
        return job
    }

    /// `"call": {"minAmount": 2000000, "tiers": ["Gold"], "priority": 1, "askRating": true}`:
    /// which occurrences the care team calls about, only for a job whose channels list `call`.
    static func parseCall(_ f: Field, channels: [ChannelKind]) -> CallSettings? {
        guard let o = f.object else { return nil }
        var call = CallSettings()
        if let m = o.optional("minAmount") { call.minAmount = m.int(0...Money.maximum) }
        if let t = o.optional("tiers") {
            if let list = t.array, !list.isEmpty { call.tiers = list.compactMap(\.nonEmptyString) } else { t.report(Sentence("check.no_tier")) }
        }
        if let p = o.optional("priority") { call.priority = p.int(1...9) ?? CallSettings.defaultPriority }
        if let r = o.optional("askRating") { call.askRating = r.bool ?? false }
        o.finish()
        guard channels.contains(.call) else { return f.fail(Sentence("check.call_without_channel")) }
        return call
    }

    /// `"experiment": {"split": [50, 50], "minimumPerArm": 500, "winner": 2}`: the variants as arms,
    /// `winner` (1-based) once it has ended. Not for a job that gives each reminder its own variant,
    /// nor variants kept for some orders or tiers: the arm would fight those rules.
    static func parseExperiment(_ f: Field, variants: [TemplateVariant], remindsInTurns: Bool) -> Experiment? {
        guard let o = f.object else { return nil }
        let split = o.required("split")?.array?.compactMap { $0.int(1...99) }
        let minimum = o.optional("minimumPerArm").flatMap { $0.int(10...1_000_000) } ?? Experiment.defaultMinimum
        let winner = o.optional("winner").flatMap { $0.int(1...max(1, variants.count)) }
        o.finish()
        guard let split else { return nil }
        if remindsInTurns { return f.fail(Sentence("check.experiment_in_turns")) }
        if variants.contains(where: { $0.minAmount != nil || $0.tiers != nil || $0.minTier != nil }) { return f.fail(Sentence("check.experiment_conditions")) }
        guard split.count == variants.count, split.count >= 2, split.reduce(0, +) == 100 else {
            return f.fail(Sentence("check.experiment_split", ["n": .number(variants.count), "split": .text(split.map(String.init).joined(separator: ", "))]))
        }
        return Experiment(split: split, minimumPerArm: minimum, winner: winner.map { $0 - 1 })
    }

    /// `"goal": {"within": "10d"}`: the window of a goal that is a new order (1 day to a year).
    static func parseGoal(_ f: Field, type: JobType?) -> TimeSpan? {
        guard let o = f.object else { return nil }
        let within = o.required("within")?.timeSpan
        o.finish()
        guard let type, case .newOrder? = Goal.default(for: type) else { return f.fail(Sentence("check.goal_fixed")) }
        guard let within else { return nil }
        guard (TimeSpan.days(1)...TimeSpan.days(365)).contains(within) else {
            return f.fail(Sentence("check.goal_window", ["value": .span(within)]))
        }
        return within
    }

    /// `"holdout": 0.05`, or `{"share": 0.05, "fromReminder": 2, "includesRequired": false}`: the
    /// job's control group. A transactional job's first message is the handbook's duty: held out
    /// only when the file says so in words (`includesRequired`), else from the second reminder on.
    static func parseHoldout(_ f: Field, purpose: Purpose?, remindsInTurns: Bool) -> Holdout? {
        func share(_ f: Field) -> Double? {
            guard case .number(let d) = f.value else { return f.fail(Sentence("check.holdout_share", ["value": .text(f.value.encoded)])) }
            guard d > 0, d <= Holdout.largestShare else { return f.fail(Sentence("check.holdout_share", ["value": .text(f.value.encoded)])) }
            return d
        }
        var holdout: Holdout
        if case .number = f.value {
            guard let s = share(f) else { return nil }
            holdout = Holdout(share: s)
        } else {
            guard let o = f.object, let s = o.required("share").flatMap(share) else { return nil }
            holdout = Holdout(share: s)
            if let r = o.optional("fromReminder"), let n = r.int(1...10) { holdout.fromReminder = n }
            if let i = o.optional("includesRequired"), let b = i.bool { holdout.includesRequired = b }
            o.finish()
        }
        if purpose == .transactional, holdout.fromReminder <= 1 || !remindsInTurns, !holdout.includesRequired {
            return f.fail(Sentence("check.holdout_required"))
        }
        return holdout
    }

    /// `"fallbackAfter": "10m"` (every channel but the last) or `{"zalo": "10m", "sms": "1h"}`:
    /// how long a message waits for its delivery receipt before the next channel sends it.
    static func parseFallbackAfter(_ f: Field, channels: [ChannelKind]) -> [ChannelKind: TimeSpan]? {
        func wait(_ f: Field) -> TimeSpan? {
            guard let span = f.timeSpan else { return nil }
            guard DeliveryFallback.allowedWait.contains(span) else {
                return f.fail(Sentence("check.fallback_wait", ["value": .span(span), "min": .span(DeliveryFallback.allowedWait.lowerBound),
                                                                 "max": .span(DeliveryFallback.allowedWait.upperBound)]))
            }
            return span
        }
        if case .string = f.value {
            guard let span = wait(f) else { return nil }
            return Dictionary(uniqueKeysWithValues: channels.dropLast().map { ($0, span) })
        }
        guard let o = f.object else { return nil }
        var out: [ChannelKind: TimeSpan] = [:]
        for key in o.keys {
            guard let field = o.optional(key) else { continue }
            guard let channel = ChannelKind(rawValue: key), let at = channels.firstIndex(of: channel) else {
                field.report(Sentence("check.fallback_channel", ["channel": .text(key), "channels": .channels(channels)]))
                continue
            }
            guard at < channels.count - 1 else {
                field.report(Sentence("check.fallback_last", ["channel": .text(key)]))
                continue
            }
            if let span = wait(field) { out[channel] = span }
        }
        o.finish()
        return out
    }

    static func parseTemplates(_ f: Field) -> [TemplateVariant]? {
        guard let list = f.array else { return nil }
        if list.isEmpty { return f.fail(Sentence("check.no_variant")) }
        let variants = list.compactMap(parseVariant)
        return variants.count == list.count ? variants : nil
    }

    static func template(_ f: Field?, html: Bool = false) -> MessageTemplate? {
        guard let f, let s = f.nonEmptyString else { return nil }
        do { return try MessageTemplate(s, html: html) } catch { return f.fail(error.sentence) }
    }

    /// `"paramTypes": {"customer_name": "name", "order_code": "code"}`: each parameter's Zalo type.
    static func paramTypes(_ o: ObjectField, params: [String: MessageTemplate]) -> [String: ZaloParamLimit] {
        var out: [String: ZaloParamLimit] = [:]
        for key in o.keys {
            guard let f = o.optional(key) else { continue }
            guard params[key] != nil else {
                f.report(Sentence("check.zalo_param_unknown", ["param": .text(key)]))
                continue
            }
            guard let name = f.string, let type = ZaloParamType(rawValue: name) else {
                f.report(Sentence("check.zalo_param_type", ["value": .text(f.string ?? ""), "types": .list(ZaloParamType.allCases.map(\.rawValue))]))
                continue
            }
            out[key] = ZaloParamLimit(type)
        }
        o.finish()
        return out
    }

    /// `"templateParams": "zalo/231456.json"`: Zalo's own information on the template (its
    /// `listParams`, as `/template/info` answers), saved beside config.json.
    static func templateParams(_ f: Field) -> [String: ZaloParamLimit]? {
        guard let path = f.nonEmptyString else { return nil }
        guard let read = f.sink.readText else { return f.fail(Sentence("check.ids_unreadable_here")) }
        let text: String
        do { text = try read(path) } catch { return f.fail(Sentence("check.ids_unreadable", ["path": .text(path), "error": .text("\(error)")])) }
        guard let json = try? JSONReader.parse(Data(text.utf8)), let limits = ZaloParamLimit.fromTemplateInfo(json) else {
            return f.fail(Sentence("check.zalo_template_params"))
        }
        return limits
    }

    static func parseVariant(_ f: Field) -> TemplateVariant? {
        guard let o = f.object else { return nil }
        let text = template(o.required("text"))
        var v = TemplateVariant(text: text ?? (try! MessageTemplate("")))
        var ok = text != nil
        if let sms = o.optional("sms") {
            if case .string = sms.value {
                v.sms = template(sms)
                ok = ok && v.sms != nil
            } else if let s = sms.object {
                v.sms = template(s.required("text"))
                v.smsUnaccented = s.optional("unaccented")?.bool ?? false
                s.finish()
                ok = ok && v.sms != nil
            }
        }
        if let e = o.optional("email")?.object {
            v.emailSubject = template(e.required("subject"))
            v.emailBody = template(e.required("body"))
            if let h = e.optional("html") { v.emailHTML = template(h, html: true) }
            e.finish()
            ok = ok && v.emailSubject != nil && v.emailBody != nil
        }
        if let z = o.optional("zalo")?.object {
            v.zaloTemplateId = z.required("templateId")?.nonEmptyString
            if let params = z.required("params")?.object {
                for key in params.keys {
                    if let t = template(params.optional(key)) { v.zaloParams[key] = t } else { ok = false }
                }
            }
            if let file = z.optional("templateParams") { v.zaloParamLimits = templateParams(file) ?? [:] }
            if let types = z.optional("paramTypes")?.object { v.zaloParamLimits.merge(paramTypes(types, params: v.zaloParams)) { _, declared in declared } }
            z.finish()
        }
        if let c = o.optional("call") {
            v.callScript = template(c)
            ok = ok && v.callScript != nil
        }
        if let m = o.optional("minAmount") { v.minAmount = m.int(0...Money.maximum) }
        if let t = o.optional("tiers") {
            if let list = t.array, !list.isEmpty { v.tiers = list.compactMap(\.nonEmptyString) } else { t.report(Sentence("check.no_tier")) }
        }
        if let t = o.optional("minTier") { v.minTier = t.nonEmptyString }
        o.finish()
        return ok && !f.sink.hasErrors ? v : nil
    }
}
