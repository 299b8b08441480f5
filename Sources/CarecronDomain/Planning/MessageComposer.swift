import Foundation

/// Renders a job's message for one customer on the first of the job's channels that can reach them.
public struct MessageComposer: Sendable {
    public let policy: CarePolicy

    public init(policy: CarePolicy) { self.policy = policy }

    /// The contact a channel uses for this customer, if it has one.
    public static func contact(for channel: ChannelKind, _ c: CustomerSnapshot) -> String? {
        switch channel {
        case .sms, .call: return c.facts.phone
        case .zalo: return c.facts.phone ?? c.zaloUserId
        case .email: return c.facts.email
        case .webhook: return c.id
        }
    }

    /// The variant for the n-th message about these orders: variants whose `minAmount` the
    /// total reaches, taken in turn so that each reminder reads differently (§1.4).
    public static func variant(_ job: JobDefinition, number: Int, amount: Int) -> Int {
        let fitting = job.templates.indices.filter { (job.templates[$0].minAmount ?? 0) <= amount }
        let pool = fitting.isEmpty ? Array(job.templates.indices) : fitting
        return pool[(max(1, number) - 1) % pool.count]
    }

    public func compose(_ job: JobDefinition, variant: Int, customer: CustomerSnapshot, orders: [OrderSnapshot],
                        reminder: (number: Int, of: Int)? = nil, tier: Tier? = nil, at: Date,
                        skipping: Set<ChannelKind> = [], extra: [String: [String: String]] = [:]) -> Rendering? {
        // A customer without a tier has the entry tier's benefits (the one from 0₫).
        let tier = tier ?? policy.tier(named: customer.facts.tier) ?? policy.tier(forSpend: 0)
        let isCall = job.call.map { $0.applies(tier: customer.facts.tier ?? tier?.name, amount: orders.reduce(0) { $0 + $1.amount }) } ?? true
        guard let channel = job.channels.first(where: { !skipping.contains($0) && ($0 != .call || isCall) && Self.contact(for: $0, customer) != nil }),
              let to = Self.contact(for: channel, customer) else { return nil }
        var vars = policy.context.variables(customer: customer.facts, orders: orders.map(\.facts), tier: tier,
                                            reminder: reminder, now: at)
        job.rules.addVariables(&vars, at: at, clock: policy.clock)
        job.rules.addVariables(&vars, job: job, customerId: customer.id, orders: orders, policy: policy)
        for (name, values) in extra { vars[name] = (vars[name] as? [String: String] ?? [:]).merging(values) { _, mine in mine } }
        let v = job.templates[min(variant, job.templates.count - 1)]
        var subject: String?, text: String, html: String?
        switch channel {
        case .sms:
            text = (v.sms ?? v.text).render(vars)
            if v.smsUnaccented { text = MessageRules.unaccented(text) }
        case .email:
            subject = v.emailSubject?.render(vars)
            text = (v.emailBody ?? v.text).render(vars)
            html = v.emailHTML?.render(vars)
        case .zalo, .webhook:
            text = v.text.render(vars)
        case .call:
            text = (v.callScript ?? v.text).render(vars)
        }
        let params = v.zaloParams.mapValues { $0.render(vars) }
        var rendering = Rendering(channel: channel.rawValue, to: to, subject: subject, text: text, params: channel == .zalo ? params : [:],
                                  templateId: channel == .zalo ? v.zaloTemplateId : nil, html: html)
        rendering.awaitReceipt = DeliveryFallback.wait(job, on: channel)?.seconds
        if channel == .zalo, !v.zaloParamLimits.isEmpty { rendering.paramLimits = v.zaloParamLimits }
        return rendering
    }
}
