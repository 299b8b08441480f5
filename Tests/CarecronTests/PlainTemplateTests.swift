import CarecronConfig
@testable import CarecronDomain
import Foundation
import Testing

/// Issue 30, item 1: a template of text and variables renders without Mustache; its output is
/// Mustache's own, byte for byte, for every shipped job's every form and customer.
@Suite("Templates rendered without Mustache")
struct PlainTemplateTests {
    static let now = Date(timeIntervalSince1970: 1_764_554_400)

    static func contexts(_ config: ShopConfig) -> [[String: Any]] {
        let customers = MessageContext.sampleCustomers() + [MessageContext.longNamedCustomer,
                                                            CustomerFacts(id: "BARE", name: CustomerName("Hà"), gender: .unknown, phone: nil)]
        let orders = MessageContext.sampleOrders(now: now)
        return customers.flatMap { customer in
            [config.messageContext.variables(customer: customer, orders: orders, tier: config.tiers.last,
                                             voucher: ["code": "SN2025", "value": "50.000₫", "validUntil": "31/12/2025"], reminder: (2, 3), now: now),
             config.messageContext.variables(customer: customer, now: now)]
        }
    }

    @Test func everyShippedFormRendersAsMustacheDoes() throws {
        let loaded = ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        var forms: [(String, MessageTemplate)] = []
        for job in loaded.jobs {
            for (i, v) in job.templates.enumerated() {
                let named: [(String, MessageTemplate?)] = [("text", v.text), ("sms", v.sms), ("emailSubject", v.emailSubject), ("emailBody", v.emailBody),
                                                           ("callScript", v.callScript)] + v.zaloParams.map { ("zalo.\($0.key)", $0.value) }
                for case let (name, template?) in named { forms.append(("\(job.name) templates[\(i)].\(name)", template)) }
            }
        }
        #expect(forms.filter { $0.1.isPlain }.count >= forms.count / 2, "most shipped forms are plain: \(forms.filter { !$0.1.isPlain }.map(\.0))")
        for context in Self.contexts(config) {
            for (name, template) in forms {
                #expect(template.render(context) == template.renderWithMustache(context), "\(name)")
            }
        }
    }

    @Test(arguments: [
        "Chào {{customer.salutation}}, đơn {{order.id}} {{order.amount}}.",
        "{{{shop.name}}} & {{& shop.hotline}} {{ customer.givenName }}<br>{{customer.fullName}}",
        "{{survey.link}}|{{voucher.code}}|{{reminder.number}}/{{reminder.of}}|{{agent.name}}",
        "no variables at all, } and { and }} alone",
        "{{optOut}}{{today}}{{ordersCount}}{{totalAmount}}",
    ])
    func plainOnesMatchMustache(_ source: String) throws {
        let template = try MessageTemplate(source)
        #expect(template.isPlain)
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        for context in Self.contexts(config) {
            #expect(template.render(context) == template.renderWithMustache(context))
        }
    }

    @Test(arguments: [
        "{{#orders}}{{id}}{{^last()}}, {{/last()}}{{/orders}}", "{{^voucher}}x{{/voucher}}", "{{! a comment }}x", "{{uppercase(customer.fullName)}}",
        "{{customer}}", "{{orders}}", "{{=<% %>=}}<% shop.name %>", "\nChào {{customer.givenName}}", "  \t\r\nChào {{customer.givenName}}",
    ])
    func anythingElseIsLeftToMustache(_ source: String) throws {
        let template = try MessageTemplate(source)
        #expect(!template.isPlain)
        let context: [String: Any] = ["customer": ["givenName": "Lan", "fullName": "Trần Thị Lan"], "shop": ["name": "Shop"], "orders": [["id": "1"]]]
        #expect(template.render(context) == template.renderWithMustache(context))
    }
}
