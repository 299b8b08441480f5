import Foundation

/// What a message may say about a customer.
public struct CustomerFacts: Sendable {
    public var id: String
    public var name: CustomerName
    public var gender: Gender
    public var phone: String?
    public var email: String?
    public var tier: String?

    public init(id: String, name: CustomerName, gender: Gender, phone: String? = nil, email: String? = nil, tier: String? = nil) {
        self.id = id
        self.name = name
        self.gender = gender
        self.phone = phone
        self.email = email
        self.tier = tier
    }
}

/// What a message may say about an order.
public struct OrderFacts: Sendable {
    public var id: String
    public var amount: Int
    public var items: String
    public var placedAt: Date
    public var paymentMethod: PaymentMethod
    public var agent: String?

    public init(id: String, amount: Int, items: String, placedAt: Date, paymentMethod: PaymentMethod = .prepaid, agent: String? = nil) {
        self.id = id
        self.amount = amount
        self.items = items
        self.placedAt = placedAt
        self.paymentMethod = paymentMethod
        self.agent = agent
    }
}

public struct ShopFacts: Sendable {
    public var name: String
    public var hotline: String
    public var website: String

    public init(name: String, hotline: String, website: String = "") {
        self.name = name
        self.hotline = hotline
        self.website = website
    }
}

/// Builds the variables of TemplateVariable.all for one message.
public struct MessageContext: Sendable {
    public var shop: ShopFacts { didSet { renderedOptOut = Self.render(optOutLine, shop: shop) } }
    public var clock: ShopClock
    public var unknownHonorific: String
    public var holdFor: TimeSpan
    /// How an advertising message tells the customer to opt out; may name `{{shop.hotline}}`.
    public var optOutLine: String { didSet { renderedOptOut = Self.render(optOutLine, shop: shop) } }
    /// The line rendered once: it depends on the shop only, and parsing it per message is costly.
    private var renderedOptOut: String

    public init(shop: ShopFacts, clock: ShopClock, unknownHonorific: String = "Bạn", holdFor: TimeSpan = .hours(24),
                optOutLine: String = "Tu choi nhan tin QC: soan TC gui {{shop.hotline}}") {
        self.shop = shop
        self.clock = clock
        self.unknownHonorific = unknownHonorific
        self.holdFor = holdFor
        self.optOutLine = optOutLine
        self.renderedOptOut = Self.render(optOutLine, shop: shop)
    }

    private static func render(_ line: String, shop: ShopFacts) -> String {
        (try? MessageTemplate(line))?.render(["shop": ["name": shop.name, "hotline": shop.hotline, "website": shop.website]]) ?? line
    }

    public func variables(customer: CustomerFacts, orders: [OrderFacts] = [], tier: Tier? = nil,
                          voucher: [String: String]? = nil, reminder: (number: Int, of: Int)? = nil,
                          now: Date) -> [String: Any] {
        let name = customer.name.salutationParts(gender: customer.gender, unknownHonorific: unknownHonorific)
        let shopVars = ["name": shop.name, "hotline": shop.hotline, "website": shop.website]
        var v: [String: Any] = [
            "customer": [
                "id": customer.id, "fullName": customer.name.full, "givenName": name.given,
                "salutation": name.salutation,
                "honorific": name.honorific,
                "tier": customer.tier ?? "", "phone": customer.phone ?? "", "email": customer.email ?? "",
            ],
            "shop": shopVars,
            "optOut": renderedOptOut,
            "today": VietnameseFormat.date(clock.localDate(of: now)),
        ]
        let orderMaps = orders.map(orderVariables)
        if let first = orderMaps.first { v["order"] = first }
        v["orders"] = orderMaps
        v["ordersCount"] = String(orders.count)
        v["totalAmount"] = VietnameseFormat.money(Money.total(orders.lazy.map(\.amount)))
        if let agent = orders.compactMap(\.agent).first(where: { !$0.isEmpty }) { v["agent"] = ["name": agent] }
        if let tier {
            v["tier"] = ["name": tier.name, "gift": tier.gift, "discount": tier.discount, "benefits": tier.benefits]
        }
        if let voucher { v["voucher"] = voucher }
        if let reminder { v["reminder"] = ["number": String(reminder.number), "of": String(reminder.of)] }
        return v
    }

    private func orderVariables(_ o: OrderFacts) -> [String: String] {
        [
            "id": o.id, "amount": VietnameseFormat.money(o.amount), "amountValue": String(o.amount),
            "items": o.items, "placedAt": VietnameseFormat.dateTime(o.placedAt, clock: clock),
            "paymentMethod": o.paymentMethod.rawValue,
            "expiresAt": VietnameseFormat.dateTime(o.placedAt.addingTimeInterval(holdFor.interval), clock: clock),
        ]
    }

    /// Customers and orders used to render templates when no real data is at hand: `validate`
    /// and `preview --sample`. Names of every shape: female, male, unknown gender, long names.
    public static func sampleCustomers() -> [CustomerFacts] {
        [
            CustomerFacts(id: "SAMPLE1", name: CustomerName("Trần Thị Lan"), gender: .female, phone: "+84912345678", email: "lan@example.vn", tier: "Standard"),
            CustomerFacts(id: "SAMPLE2", name: CustomerName("Nguyễn Văn Hùng"), gender: .male, phone: "+84903111222", tier: "Gold"),
            CustomerFacts(id: "SAMPLE3", name: CustomerName("Lê Minh Anh"), gender: .unknown, phone: "+84385551234"),
            CustomerFacts(id: "SAMPLE4", name: CustomerName("Võ Thị Mỹ Duyên"), gender: .female, phone: "+84933222111", tier: "Gold"),
        ]
    }

    /// A customer whose full name is longer than Zalo's 30 characters for a name (such names
    /// exist: a royal family's descendants keep "Công Tôn Nữ"), for the checks of Zalo's limits.
    public static let longNamedCustomer = CustomerFacts(id: "SAMPLE5", name: CustomerName("Công Tôn Nữ Thị Thanh Hương Giang"), gender: .female,
                                                        phone: "+84977123456", tier: "Standard")

    public static func sampleOrders(now: Date) -> [OrderFacts] {
        [
            OrderFacts(id: "DH1024", amount: 1_250_000, items: "Kem chống nắng x2", placedAt: now.addingTimeInterval(-3 * 3600), agent: "Mai"),
            OrderFacts(id: "DH1025", amount: 450_000, items: "Son dưỡng môi x1", placedAt: now.addingTimeInterval(-2 * 3600)),
        ]
    }
}
