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
            sink.error("jobs", "cannot read the jobs folder \(folder.path)")
            return ([], sink.items)
        }
        var jobs: [JobDefinition] = [], diagnostics: [Diagnostic] = []
        for file in files {
            let sink = DiagnosticSink(file: ConfigLoader.displayName(file))
            if let root = ConfigLoader.readJSON(file, sink: sink),
               let job = parseJob(root, name: file.deletingPathExtension().lastPathComponent, config: config) {
                JobChecks.check(job, config: config, sink: sink)
                if !sink.hasErrors { jobs.append(job) }
            }
            diagnostics += sink.items
        }
        return (jobs, diagnostics)
    }

    static func parseJob(_ root: Field, name: String, config: ShopConfig) -> JobDefinition? {
        guard let o = root.object else { return nil }
        o.allow(["$comment"])
        let type = o.required("type")?.oneOf(JobType.self)
        let description = o.optional("description")?.string ?? ""
        let enabled = o.required("enabled")?.bool
        let schedule = o.required("schedule")?.cron
        let purpose = o.required("purpose")?.oneOf(Purpose.self)
        var channels: [ChannelKind]?
        if let list = o.required("channels")?.array {
            let kinds = list.compactMap { $0.oneOf(ChannelKind.self) }
            if list.isEmpty { o.field.child("channels", .null).report("list at least one channel") }
            for (kind, f) in zip(kinds, list) where config.channels[kind] == nil {
                f.report("channel \(kind.rawValue) has no sender: add it to \"channels\" in config.json")
            }
            if Set(kinds).count != kinds.count { o.field.child("channels", .null).report("a channel is listed twice") }
            channels = kinds.count == list.count ? kinds : nil
        }
        let quiet = o.optional("duringQuietHours")?.oneOf(QuietHoursAction.self) ?? .wait
        let templates = o.required("templates").flatMap(parseTemplates)
        var rules: JobRules?
        if let type {
            let r = o.optional("rules")?.object
            rules = parseRules(type, r, root: o, config: config)
            r?.finish()
        } else {
            o.allow(["rules"])
        }
        o.finish()
        guard let type, let enabled, let schedule, let purpose, let channels, let templates, let rules,
              !root.sink.hasErrors else { return nil }
        return JobDefinition(name: name, type: type, description: description, enabled: enabled, schedule: schedule,
                             purpose: purpose, channels: channels, duringQuietHours: quiet, templates: templates, rules: rules)
    }

    /// Each type's `rules`, with the handbook's defaults for what is left out.
    static func parseRules(_ type: JobType, _ r: ObjectField?, root: ObjectField, config: ShopConfig) -> JobRules? {
        switch type {
        case .paymentReminder:
            var p = PaymentReminderPolicy(expiresAfter: config.holdFor)
            if let r {
                if let f = r.optional("minAge") { p.minAge = f.timeSpan ?? p.minAge }
                if let f = r.optional("maxReminders") { p.maxReminders = f.int(1...5) ?? p.maxReminders }
                if let f = r.optional("minGap") { p.minGap = f.timeSpan ?? p.minGap }
                if let f = r.optional("lateness") { p.lateness = f.timeSpan ?? p.lateness }
                if let f = r.optional("windows") { p.windows = parseWindows(f) ?? p.windows }
            }
            let combine = r?.optional("combineOrders")?.bool ?? true
            return .paymentReminder(p, combineOrders: combine)
        case .orderExpiry:
            return .orderExpiry(notify: r?.optional("notify")?.bool ?? true)
        case .codConfirmation:
            let after = r?.optional("sendAfter")?.timeSpan ?? .minutes(10)
            var days = 1...3
            if let d = r?.optional("deliveryDays")?.object {
                let lo = d.required("min")?.int(0...60), hi = d.required("max")?.int(0...60)
                d.finish()
                if let lo, let hi {
                    if lo <= hi { days = lo...hi } else { d.field.report("min must not be greater than max") }
                }
            }
            return .codConfirmation(sendAfter: after, deliveryDays: days)
        case .birthday:
            return .birthday
        case .postSaleCheckin:
            return .postSaleCheckin(afterDays: r?.optional("afterDays")?.int(1...365) ?? 3)
        case .tierUpgrade:
            if config.tiers.isEmpty { root.sink.error("type", "tier-upgrade needs \"tiers\" in config.json") }
            return .tierUpgrade
        }
    }

    static func parseWindows(_ f: Field) -> [PaymentWindow]? {
        guard let list = f.array else { return nil }
        if list.isEmpty { return f.fail("list at least one window") }
        var windows: [PaymentWindow] = []
        for item in list {
            guard let w = item.object else { continue }
            let name = w.required("name")?.nonEmptyString, from = w.required("from")?.timeOfDay
            let to = w.required("to")?.timeOfDay, remindAt = w.required("remindAt")?.timeOfDay
            let deadline = w.optional("deadline")?.timeOfDay
            w.finish()
            if let name, let from, let to, let remindAt {
                windows.append(PaymentWindow(name: name, span: DailySpan(from: from, to: to), remindAt: remindAt, deadline: deadline))
            }
        }
        return windows.count == list.count ? windows : nil
    }

    static func parseTemplates(_ f: Field) -> [TemplateVariant]? {
        guard let list = f.array else { return nil }
        if list.isEmpty { return f.fail("list at least one template variant") }
        let variants = list.compactMap(parseVariant)
        return variants.count == list.count ? variants : nil
    }

    static func template(_ f: Field?, html: Bool = false) -> MessageTemplate? {
        guard let f, let s = f.nonEmptyString else { return nil }
        do { return try MessageTemplate(s, html: html) } catch { return f.fail(error.message) }
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
            z.finish()
        }
        if let m = o.optional("minAmount") { v.minAmount = m.int(0...Int.max / 2) }
        o.finish()
        return ok && !f.sink.hasErrors ? v : nil
    }
}
