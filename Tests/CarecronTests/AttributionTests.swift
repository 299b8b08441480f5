import CarecronConfig
import CarecronDomain
import Foundation
import Testing

/// Goals and attribution (issue 28, items 1 and 7): the worked example of
/// `Tests/fixtures/outcomes/worked-example.json`, reckoned by hand, asserted exactly.
@Suite("What each message achieved")
struct AttributionTests {
    struct Example {
        let messages: [MessageRecord]
        let orders: [OrderRecord]
        let expected: [Conversion]
        let holdFor: TimeSpan
    }

    static func example() throws -> Example {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/fixtures/outcomes/worked-example.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        func at(_ s: Any?) -> Date? { (s as? String).map { TestSupport.instant($0) } }
        let messages = (doc["messages"] as! [[String: Any]]).map { m in
            MessageRecord(id: Int64(m["id"] as! Int), job: m["job"] as! String, customerId: m["customer"] as! String, orderIds: m["orders"] as! [String],
                          channel: m["channel"] as! String, at: at(m["at"])!, delivered: m["delivered"] as? Bool ?? false,
                          heldOut: m["heldOut"] as? Bool ?? false)
        }
        let orders = (doc["orders"] as! [[String: Any]]).map { o in
            OrderRecord(id: o["id"] as! String, customerId: o["customer"] as! String, placedAt: at(o["placed"])!, amount: o["amount"] as! Int,
                        status: OrderStatus(rawValue: o["status"] as! String)!, paidAt: at(o["paid"]), deliveredAt: at(o["delivered"]))
        }
        let expected = (doc["conversions"] as! [[String: Any]]).filter { $0["job"] as? String != "-" }.map { c in
            let order = orders.first { $0.id == c["order"] as! String }!
            let message = messages.first { $0.id == Int64(c["message"] as! Int) }!
            let reached = message.job == "payment-reminder" ? order.paidAt! : order.placedAt
            return Conversion(job: c["job"] as! String, messageId: message.id, orderId: order.id, at: reached, revenue: c["revenue"] as! Int,
                              heldOut: c["heldOut"] as? Bool ?? false)
        }
        return Example(messages: messages, orders: orders, expected: expected, holdFor: TimeSpan(doc["holdFor"] as! String)!)
    }

    @Test func theWorkedExampleIsCreditedAsReckonedByHand() throws {
        let ex = try Self.example()
        let goals: [String: Goal] = ["payment-reminder": .orderPaid, "birthday": .newOrder(within: .days(14)), "win-back": .newOrder(within: .days(7))]
        let got = Attribution.conversions(messages: ex.messages, orders: ex.orders, goals: goals, holdFor: ex.holdFor)
        let order = { (c: Conversion) in "\(c.job) \(c.orderId)" }
        #expect(got.sorted { order($0) < order($1) } == ex.expected.sorted { order($0) < order($1) })
        #expect(got.filter { $0.orderId == "O4" }.count == 2, "one order, two jobs, once each")
    }

    @Test func eachJobTypeHasAGoalAndAFileMaySetItsWindow() {
        #expect(Goal.default(for: PaymentReminderRules.type) == .orderPaid)
        #expect(Goal.default(for: CodConfirmationRules.type) == .orderDelivered)
        #expect(Goal.default(for: BirthdayRules.type) == .newOrder(within: .days(14)))
        #expect(Goal.default(for: OrderExpiryRules.type) == nil, "bookkeeping has no goal")
    }

    @Test func aJobFileSetsItsGoalsWindow() throws {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        func check(_ name: String, _ goal: Any) throws -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/\(name).json"))) as! [String: Any]
            json["goal"] = goal
            return JobLoader.check(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self), name: name, config: config)
        }
        let birthday = try #require(try check("birthday", ["within": "10d"]).job)
        #expect(Goal.of(birthday) == .newOrder(within: .days(10)))
        #expect(try check("payment-reminder", ["within": "10d"]).diagnostics.contains { $0.sentence?.code == "check.goal_fixed" })
        #expect(try check("birthday", ["within": "2y"]).diagnostics.contains { $0.severity == .error })
        #expect(try check("birthday", ["within": "400d"]).diagnostics.contains { $0.sentence?.code == "check.goal_window" })
    }

    /// A COD confirmation worked when its order was delivered, not refused.
    @Test func aCODConfirmationCountsTheDeliveredOrder() {
        let t = TestSupport.instant("2026-12-01T09:00:00+07:00")
        let messages = [MessageRecord(id: 1, job: "cod", customerId: "C", orderIds: ["A"], channel: "sms", at: t),
                        MessageRecord(id: 2, job: "cod", customerId: "C", orderIds: ["B"], channel: "sms", at: t)]
        let orders = [OrderRecord(id: "A", customerId: "C", placedAt: t, amount: 100, status: .delivered, deliveredAt: t.addingTimeInterval(86_400)),
                      OrderRecord(id: "B", customerId: "C", placedAt: t, amount: 200, status: .returned)]
        let got = Attribution.conversions(messages: messages, orders: orders, goals: ["cod": .orderDelivered], holdFor: .hours(24))
        #expect(got.map(\.orderId) == ["A"] && got.first?.at == t.addingTimeInterval(86_400))
    }
}
