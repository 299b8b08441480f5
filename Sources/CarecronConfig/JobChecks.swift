import CarecronDomain
import Foundation

/// The handbook's rules a job must obey, checked by rendering its templates with sample
/// customers (DOMAIN.md §1.8, §6, §7).
enum JobChecks {
    static func check(_ job: JobDefinition, config: ShopConfig, sink: DiagnosticSink) {
        checkRules(job, config: config, sink: sink)
        checkForms(job, config: config, sink: sink)
        checkFallbacks(job, config: config, sink: sink)
        if job.enabled, job.channels.contains(.call), config.console.roster.isEmpty { sink.warning("channels", Sentence("check.call_no_agent")) }
        checkZaloParams(job, config: config, sink: sink)
        let now = Date(timeIntervalSince1970: 1_764_554_400)  // 2025-12-01 09:00 +07:00, any day will do
        let context = config.messageContext
        let orders = MessageContext.sampleOrders(now: now)
        for (index, variant) in job.templates.enumerated() {
            let path = "templates[\(index)]"
            for customer in MessageContext.sampleCustomers() {
                let vars = context.variables(customer: customer, orders: orders, tier: config.tiers.first,
                                             voucher: ["code": "SN2025", "value": "50.000₫", "validUntil": "31/12/2025"],
                                             reminder: (index + 1, job.templates.count), now: now)
                for (form, text) in rendered(variant, vars) {
                    checkWording(job, form: "\(path).\(form)", text: text, customer: customer, config: config, sink: sink)
                }
            }
        }
    }

    /// Every variant's Zalo parameters rendered for the sample customers (and one with a long
    /// name, as real shops have), each against its type's limit.
    static func checkZaloParams(_ job: JobDefinition, config: ShopConfig, sink: DiagnosticSink) {
        let now = Date(timeIntervalSince1970: 1_764_554_400)
        let orders = MessageContext.sampleOrders(now: now)
        let customers = MessageContext.sampleCustomers() + [MessageContext.longNamedCustomer]
        for (index, variant) in job.templates.enumerated() where !variant.zaloParamLimits.isEmpty {
            var reported = Set<String>()
            for customer in customers {
                let vars = config.messageContext.variables(customer: customer, orders: orders, tier: config.tiers.first,
                                                           reminder: (index + 1, job.templates.count), now: now)
                for (param, template) in variant.zaloParams.sorted(by: { $0.key < $1.key }) where !reported.contains(param) {
                    if let problem = variant.zaloParamLimits[param]?.problem(param, template.render(vars)) {
                        sink.error("templates[\(index)].zalo.params.\(param)", problem)
                        reported.insert(param)
                    }
                }
            }
        }
    }

    /// A channel that waits for receipts its sender never hears would send every message twice.
    static func checkFallbacks(_ job: JobDefinition, config: ShopConfig, sink: DiagnosticSink) {
        for (i, channel) in job.channels.enumerated() {
            guard let wait = DeliveryFallback.wait(job, on: channel), let name = config.channels[channel],
                  config.senders[name]?.takesReceipts != true else { continue }
            sink.warning("fallbackAfter.\(channel.rawValue)", Sentence("check.fallback_no_receipts", [
                "channel": .text(channel.rawValue), "sender": .text(name), "next": .text(job.channels[i + 1].rawValue), "wait": .span(wait)]))
        }
    }

    /// Every rendered form of a variant, keyed by its path inside the variant.
    static func rendered(_ v: TemplateVariant, _ vars: [String: Any]) -> [(String, String)] {
        var out = [("text", v.text.render(vars))]
        if let s = v.sms { out.append(("sms", s.render(vars))) }
        if let s = v.emailSubject { out.append(("email.subject", s.render(vars))) }
        if let b = v.emailBody { out.append(("email.body", b.render(vars))) }
        for (k, p) in v.zaloParams.sorted(by: { $0.key < $1.key }) { out.append(("zalo.params.\(k)", p.render(vars))) }
        return out
    }

    private static func checkWording(_ job: JobDefinition, form: String, text: String, customer: CustomerFacts,
                                     config: ShopConfig, sink: DiagnosticSink) {
        let reported = Set(sink.items.map { "\($0.path)|\($0.message)" })
        func once(_ sentence: Sentence) {
            if !reported.contains("\(form)|\(sentence.description)") { sink.error(form, sentence) }
        }
        for problem in MessageRules.wordingProblems(text) { once(problem) }
        if form.hasSuffix("text") || form.hasSuffix("sms") {
            for problem in job.rules.messageProblems(text, customer: customer) { once(problem) }
        }
        if job.purpose == .marketing, form.hasSuffix("sms") || (form.hasSuffix("text") && !hasSMSForm(job, form)) {
            if job.channels.contains(.sms) {
                if !MessageRules.hasAdvertisingLabel(text) { once(Sentence("check.ad_label")) }
                if !MessageRules.endsWithOptOut(text) { once(Sentence("check.ad_opt_out")) }
            }
        }
        if form.hasSuffix("sms") {
            let seg = MessageRules.smsSegments(text)
            if seg.segments > 3 {
                sink.warning(form, Sentence("check.sms_long", ["n": .number(seg.segments), "encoding": .text(seg.encoding.rawValue), "name": .text(customer.name.full)]))
            }
        }
    }

    private static func hasSMSForm(_ job: JobDefinition, _ form: String) -> Bool {
        guard let open = form.firstIndex(of: "["), let close = form.firstIndex(of: "]"),
              let i = Int(form[form.index(after: open)..<close]), job.templates.indices.contains(i) else { return false }
        return job.templates[i].sms != nil
    }

    private static func checkRules(_ job: JobDefinition, config: ShopConfig, sink: DiagnosticSink) {
        job.rules.check(job, shop: config.policy, sink: sink)
        let advertises = job.templates.contains { v in
            [v.text.source, v.sms?.source ?? "", v.emailBody?.source ?? ""].contains {
                $0.contains("voucher.") || $0.contains("tier.gift") || $0.contains("tier.discount") || $0.contains("tier.benefits")
            }
        }
        if advertises, job.purpose != .marketing {
            sink.error("purpose", Sentence("check.gift_is_ad"))
        }
        if job.rules.concernsOwnOrder, job.purpose == .marketing {
            sink.warning("purpose", Sentence("check.own_order", ["type": .text(job.type.rawValue)]))
        }
    }

    private static func checkForms(_ job: JobDefinition, config: ShopConfig, sink: DiagnosticSink) {
        let tierNames = config.tiers.map(\.name)
        for (i, v) in job.templates.enumerated() {
            if v.tiers != nil || v.minTier != nil, job.rules.audienceSending == nil {
                sink.error("templates[\(i)]", Sentence("check.tiers_campaign_only", ["type": .text(job.type.rawValue)]))
            }
            for (key, name) in (v.tiers ?? []).map({ ("tiers", $0) }) + (v.minTier.map { [("minTier", $0)] } ?? []) where !tierNames.contains(name) {
                var values: [String: Sentence.Value] = ["value": .text(name), "names": .text(tierNames.joined(separator: ", "))]
                values["near"] = Suggest.closest(to: name, among: tierNames).map { .text($0) }
                let code = tierNames.isEmpty ? "check.no_tiers_configured" : values["near"] == nil ? "check.not_a_tier" : "check.not_a_tier_near"
                sink.error("templates[\(i)].\(key)", Sentence(code, values))
            }
            if job.channels.contains(.zalo), v.zaloTemplateId == nil {
                sink.error("templates[\(i)]", Sentence("check.zalo_form"))
            }
            if job.channels.contains(.email), v.emailSubject == nil {
                sink.error("templates[\(i)]", Sentence("check.email_form"))
            }
        }
    }
}
