import CarecronConfig
import CarecronDelivery
import CarecronDomain
import CarecronPostgres
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// The care team's calls (issue 29): a `call` channel planned like any message, handed to an
/// agent by the stated rule, worked from their list, its outcome the outbox row's receipt.
@Suite("Calls")
struct CallTests {
    let clock = TestSupport.saigon
    /// A Monday morning in Saigon.
    let monday = TestSupport.instant("2026-12-07T09:00:00+07:00")

    static let mai = Agent(login: "mai", displayName: "Nguyễn Thị Mai", hours: DailySpan(from: TimeOfDay(hour: 8), to: TimeOfDay(hour: 17)))
    static let hung = Agent(login: "hung", displayName: "Hùng", hours: DailySpan(from: TimeOfDay(hour: 8), to: TimeOfDay(hour: 17)))
    /// The afternoon and evening shift, every day.
    static let lan = Agent(login: "lan", hours: DailySpan(from: TimeOfDay(hour: 13), to: TimeOfDay(hour: 21)), days: Set(0...6))
    let roster = AgentRoster([mai, hung, lan])

    @Test func theRuleTakesTheOrdersAgentThenTheCustomersThenTheLeastLoadedOnShift() throws {
        let loads = ["mai": 4, "hung": 2, "lan": 0]
        func who(_ order: String?, _ customer: String?, away: Set<String> = [], at t: Date? = nil) -> String? {
            roster.assign(orderAgent: order, customerAgent: customer, loads: loads, away: away, at: t ?? monday, clock: clock).map {
                "\($0.agent.login)/\($0.rule.rawValue)"
            }
        }
        #expect(who("Mai", "Hùng") == "mai/order", "the order names her, without case")
        #expect(who("nguyen thi mai", nil) == "mai/order", "by her display name, without accents")
        #expect(who(nil, "HÙNG") == "hung/customer")
        #expect(who("Mai", "Hùng", away: ["mai"]) == "hung/customer", "away: the customer's own agent")
        #expect(who("Tuấn", nil) == "hung/least_loaded", "nobody of that name: Lan is not on shift at 09:00, Hùng has fewer than Mai")
        #expect(who(nil, nil, at: TestSupport.instant("2026-12-07T14:00:00+07:00")) == "lan/least_loaded", "at 14:00 Lan is on shift, with none")
        #expect(who(nil, nil, at: TestSupport.instant("2026-12-06T10:00:00+07:00")) == "lan/least_loaded",
                "a Sunday: nobody on shift; Lan starts first (13:00)")
        #expect(who(nil, nil, away: ["mai", "hung", "lan"]) == nil, "everyone away: nobody")
        #expect(!Self.mai.onShift(at: TestSupport.instant("2026-12-07T17:00:00+07:00"), clock: clock), "17:00 is the end of her day")
    }

    @Test func anUnansweredCallComesBackAtTheNextWorkingSlotThenFallsBack() throws {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        let calls = CallPolicy(tries: 3, retryAfter: .hours(2))
        func effect(_ r: CallResult, tries: Int, at t: Date, callBack: Date? = nil) -> CallEffect {
            CallEffect.of(r, tries: tries, callBackAt: callBack, now: t, agent: Self.mai, purpose: .transactional, calls: calls, policy: config.policy)
        }
        #expect(effect(.noAnswer, tries: 0, at: monday) == .tryAgain(at: TestSupport.instant("2026-12-07T11:00:00+07:00")))
        #expect(effect(.noAnswer, tries: 1, at: TestSupport.instant("2026-12-07T16:00:00+07:00"))
                == .tryAgain(at: TestSupport.instant("2026-12-08T08:00:00+07:00")), "after her day: the next morning")
        #expect(effect(.noAnswer, tries: 1, at: TestSupport.instant("2026-12-05T16:00:00+07:00"))
                == .tryAgain(at: TestSupport.instant("2026-12-07T08:00:00+07:00")), "a Saturday afternoon: Monday, she does not work Sundays")
        #expect(effect(.noAnswer, tries: 2, at: monday) == .unreachable(reason: "no answer after 3 calls"))
        #expect(effect(.wrongNumber, tries: 0, at: monday) == .unreachable(reason: "wrong number"))
        let later = TestSupport.instant("2026-12-07T15:30:00+07:00")
        #expect(effect(.callBack, tries: 1, at: monday, callBack: later) == .tryAgain(at: later))
        #expect(effect(.reached, tries: 1, at: monday) == .reached && effect(.complaint, tries: 0, at: monday) == .reached)
    }

    func codJob(_ change: (inout [String: Any]) -> Void = { _ in }) throws -> (job: JobDefinition?, diagnostics: [Diagnostic]) {
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.packageRoot.appendingPathComponent("jobs/cod-confirmation.json"))) as! [String: Any]
        json["channels"] = ["call", "sms", "email"]
        json["call"] = ["minAmount": 2_000_000, "priority": 1]
        change(&json)
        return JobLoader.check(text: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self), name: "cod-confirmation", config: config)
    }

    /// A COD confirmation calls for big orders, texts for small ones; the call's script is the
    /// variant's `call` text, and the SMS is its fallback.
    @Test func aBigCODOrderIsACallWithTheSMSAsItsFallback() throws {
        let checked = try codJob { json in
            var templates = json["templates"] as! [[String: Any]]
            templates[0]["call"] = "Chào {{customer.salutation}}, em gọi từ {{shop.name}} xác nhận đơn {{order.id}} {{order.amount}}."
            json["templates"] = templates
        }
        let job = try #require(checked.job, "\(checked.diagnostics)")
        #expect(job.call == CallSettings(minAmount: 2_000_000, priority: 1))
        #expect(!checked.diagnostics.contains { $0.severity == .error }, "no sender needed for call: \(checked.diagnostics)")
        let config = try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
        var planner = CarePlanner(policy: config.policy, jobs: [job])
        planner.renderFallbacks = true
        let customer = CustomerSnapshot(facts: CustomerFacts(id: "C1", name: CustomerName("Nguyễn Thị Lan"), gender: .female, phone: "+84912345678"))
        let big = OrderSnapshot(id: "DH1", customerId: "C1", placedAt: monday, amount: 2_500_000, paymentMethod: .cod, items: "Kem")
        let small = OrderSnapshot(id: "DH2", customerId: "C1", placedAt: monday, amount: 300_000, paymentMethod: .cod, items: "Son")
        let events = planner.plan(PlanningInput(customers: ["C1": customer], orders: [big, small]), from: monday, to: monday.addingTimeInterval(3600))
            .filter { $0.kind == .message }
        let call = try #require(events.first { $0.orderIds == ["DH1"] })
        #expect(call.channel == .call && call.to == "+84912345678")
        #expect(call.text == "Chào Chị Lan, em gọi từ Hoa Sen Cosmetics xác nhận đơn DH1 2.500.000₫.", "\(call.text ?? "")")
        #expect(call.fallbacks.map(\.channel) == ["sms"], "the SMS if nobody reaches her")
        #expect(call.awaitReceipt == DeliveryFallback.callWait.seconds, "a call nobody makes falls back after a day")
        #expect(events.first { $0.orderIds == ["DH2"] }?.channel == .sms, "a small order: the message")

        let wrong = try codJob { $0["channels"] = ["sms", "email"] }
        #expect(wrong.diagnostics.contains { $0.severity == .error && $0.sentence?.code == "check.call_without_channel" })
    }

    @Test func anAgentIsAConsoleUserWithHoursAndDays() throws {
        let folder = try TestSupport.shopFolder()
        try TestSupport.editConfig(folder) { c in
            c["console"] = ["users": [
                "mai": ["role": "agent", "passwordHash": String(repeating: "a", count: 53).withPrefix("$2b$12$"), "displayName": "Nguyễn Thị Mai",
                        "hours": ["from": "07:30", "to": "16:30"], "days": ["mon", "tue", "wed", "thu", "fri"]],
                "an": ["role": "editor", "passwordHash": String(repeating: "b", count: 53).withPrefix("$2b$12$"), "hours": ["from": "08:00", "to": "17:00"]],
            ]]
            c["calls"] = ["tries": 4, "retryAfter": "90m"]
        }
        let loaded = ConfigLoader.load(folder.appendingPathComponent("config.json"))
        #expect(loaded.diagnostics.contains { $0.sentence?.code == "check.agent_only" && $0.path.contains("an.hours") }, "\(loaded.diagnostics)")
        try TestSupport.editConfig(folder) { c in
            var console = c["console"] as! [String: Any], users = console["users"] as! [String: Any], an = users["an"] as! [String: Any]
            an["hours"] = nil
            users["an"] = an
            console["users"] = users
            c["console"] = console
        }
        let config = try #require(ConfigLoader.load(folder.appendingPathComponent("config.json")).config)
        #expect(config.console.roster.agents == [Agent(login: "mai", displayName: "Nguyễn Thị Mai",
                                                       hours: DailySpan(from: TimeOfDay(hour: 7, minute: 30), to: TimeOfDay(hour: 16, minute: 30)),
                                                       days: [1, 2, 3, 4, 5])])
        #expect(config.calls == CallPolicy(tries: 4, retryAfter: .minutes(90)))
    }
}

extension String {
    fileprivate func withPrefix(_ p: String) -> String { p + self }
}

/// The calls on both stores, through the real dispatcher and its desk.
@Suite("Calls in the store")
struct CallStoreTests {
    let clock = TestSupport.saigon
    let monday = TestSupport.instant("2026-12-07T09:00:00+07:00")
    let roster = AgentRoster([CallTests.mai, CallTests.hung, CallTests.lan])

    func callThenSMS(_ to: String) -> [Rendering] {
        var call = Rendering(channel: "call", to: to, subject: nil, text: "Chào chị, em gọi xác nhận đơn", params: [:], templateId: nil)
        call.awaitReceipt = 86_400
        return [call, Rendering(channel: "sms", to: to, subject: nil, text: "Xac nhan don", params: [:], templateId: nil)]
    }

    /// Two customers, one whose order names Mai; a call planned for each, due at 09:00.
    func seeded(_ s: StoreUnderTest) async throws -> (any CareStore, [Int64]) {
        let store = try #require(s.full)
        for (c, o, agent, amount) in [("C1", "DH1", "Mai", "2500000"), ("C2", "DH2", "", "3100000")] {
            _ = try await store.upsert(.customers, ["id": c, "full_name": c == "C1" ? "Nguyễn Thị Lan" : "Trần Văn Nam", "phone": c == "C1" ? "0912345678" : "0987654321"],
                                       clock: clock, holdFor: .hours(24), now: monday)
            _ = try await store.upsert(.orders, ["id": o, "customer_id": c, "placed_at": "2026-12-07T08:30:00+07:00", "amount": amount,
                                                 "payment_method": "cod", "agent": agent], clock: clock, holdFor: .hours(24), now: monday)
            _ = try await store.outbox.enqueue(keys: ["cod-confirmation:\(o)"], job: "cod-confirmation", customerId: c, orderIds: [o], reminder: nil,
                                               renderings: callThenSMS(c == "C1" ? "+84912345678" : "+84987654321"), dueAt: monday, now: monday)
        }
        let ids = try await store.outbox.list(state: .planned, limit: 10).map(\.id).sorted()
        return (store, ids)
    }

    func dispatcher(_ store: any CareStore, at t: Date) -> Dispatcher {
        Dispatcher(store: store, senders: [:], channels: [:], jobs: [], now: { t }, log: .init(label: "test"),
                   callDesk: CallDesk(store: store, roster: roster, clock: clock, jobs: [], now: { t }))
    }

    @Test(arguments: StoreUnderTest.implementations)
    func aCallIsHandedOnceWorkedFromItsListAndFallsBackAfterItsTries(_ name: String) async throws {
        let s = try await StoreUnderTest.make(name)
        let (store, ids) = try await seeded(s)
        let report = try await dispatcher(store, at: monday).drain()
        #expect(report.sent == 2, "\(report)")
        let first = try #require(try await store.call(ids[0]))
        #expect(first.assignment.agent == "mai" && first.assignment.rule == .order && first.assignment.amount == 2_500_000)
        let second = try #require(try await store.call(ids[1]))
        #expect(second.assignment.agent == "hung" && second.assignment.rule == .leastLoaded, "Mai has one open call already")
        // Handing it again (another node, a retry) keeps the first assignment.
        var again = first.assignment
        again.agent = "lan"
        #expect(try await store.assignCall(again).agent == "mai")
        #expect(try await store.callLoads() == ["mai": 1, "hung": 1])
        // The cards' recent past, of every customer at once.
        let recent = try await store.recent(customerIds: ["C1", "C2", "NOBODY"])
        #expect(recent["C1"]?.orders.map(\.id) == ["DH1"] && recent["C1"]?.orders.first?.amount == 2_500_000)
        #expect(recent["C1"]?.messages.map(\.channel) == ["call"] && recent["C2"]?.messages.map(\.id) == [ids[1]] && recent["NOBODY"] == nil)

        let today = CallQuery(agent: "mai", day: LocalDate(year: 2026, month: 12, day: 7), clock: clock)
        let list = try await store.calls(today)
        #expect(list.map(\.outboxId) == [ids[0]] && list[0].customerName == "Nguyễn Thị Lan" && list[0].phone == "+84912345678")
        #expect(list[0].script == "Chào chị, em gọi xác nhận đơn" && list[0].orderIds == ["DH1"])

        // Pressed on a stale page (the tries moved on), or before its message reached the desk: refused, nothing recorded.
        #expect(try await !store.recordCall(CallRecord(outboxId: ids[0], result: .noAnswer, effect: .tryAgain(at: monday), note: nil, rating: nil,
                                                       by: "mai", at: monday, triesBefore: 4)))
        _ = try await store.outbox.enqueue(keys: ["cod-confirmation:DH9"], job: "cod-confirmation", customerId: "C1", orderIds: ["DH1"], reminder: nil,
                                           renderings: callThenSMS("+84912345678"), dueAt: monday.addingTimeInterval(86_400), now: monday)
        let unsent = try #require(try await store.outbox.planned(keys: ["cod-confirmation:DH9"])["cod-confirmation:DH9"]?.id)
        _ = try await store.assignCall(CallAssignment(outboxId: unsent, customerId: "C1", job: "cod-confirmation", agent: "mai", rule: .order,
                                                      purposeRank: 0, jobPriority: 1, amount: 0, assignedAt: monday, nextTryAt: monday))
        #expect(try await !store.recordCall(CallRecord(outboxId: unsent, result: .reached, effect: .reached, note: nil, rating: nil, by: "mai", at: monday)))
        #expect(try await store.outbox.message(unsent)?.delivery == nil)
        // A call-back moves its message's wait past it: the SMS does not overtake it.
        let later = monday.addingTimeInterval(2 * 86_400)
        #expect(try await store.recordCall(CallRecord(outboxId: ids[1], result: .callBack, effect: .tryAgain(at: later), note: nil, rating: nil,
                                                      by: "hung", at: monday, triesBefore: 0, waitUntil: later.addingTimeInterval(86_400))))
        #expect(try await !store.outbox.awaitingFallback(dueBy: later, limit: 10).map(\.id).contains(ids[1]))

        // No answer twice, then a third time: the call is done and the SMS is due.
        let policy = CallPolicy(tries: 3, retryAfter: .hours(2))
        var t = monday
        for round in 0..<3 {
            let item = try #require(try await store.call(ids[0]))
            #expect(item.tries == round)
            let effect = CallEffect.of(.noAnswer, tries: item.tries, callBackAt: nil, now: t, agent: CallTests.mai, purpose: .transactional,
                                       calls: policy, policy: try config().policy)
            #expect(try await store.recordCall(CallRecord(outboxId: ids[0], result: .noAnswer, effect: effect, note: nil, rating: nil, by: "mai", at: t)))
            if case .tryAgain(let next) = effect { t = next }
        }
        let done = try #require(try await store.call(ids[0]))
        #expect(done.state == .done && done.tries == 3 && done.result == .noAnswer && done.doneBy == "mai")
        #expect(try await !store.recordCall(CallRecord(outboxId: ids[0], result: .reached, effect: .reached, note: nil, rating: nil, by: "mai", at: t)),
                "done: a late button changes nothing")
        let due = try await store.outbox.awaitingFallback(dueBy: t, limit: 10)
        #expect(due.map(\.id) == [ids[0]] && due[0].delivery == .undelivered && due[0].deliveryReason == "no answer after 3 calls")
        #expect(try await store.outbox.fallBackUndelivered(due[0], reason: "not reached by phone", at: t, now: t))
        #expect(try await store.outbox.claimDue(now: t, limit: 10).map(\.rendering.channel) == ["sms"], "the SMS goes instead")
        #expect(try await store.calls(CallQuery(agent: "mai", day: LocalDate(year: 2026, month: 12, day: 7), clock: clock))
            .filter { $0.outboxId == ids[0] }.map(\.state) == [.done])

        // Hùng reaches Nam: delivered, counted as a receipt of the call channel.
        #expect(try await store.recordCall(CallRecord(outboxId: ids[1], result: .reached, effect: .reached, note: "Anh Nam xác nhận, giao giờ hành chính",
                                                      rating: 5, by: "hung", at: monday.addingTimeInterval(600))))
        let reached = try #require(try await store.outbox.message(ids[1]))
        #expect(reached.delivery == .delivered && reached.state == .sent)
        #expect(try await store.outbox.deliveryCounts()["call"] == [.undelivered: 1, .delivered: 1])
        // The report counts a reached call as a delivery of the call channel (the unanswered one went on by SMS).
        let outcomes = try await OutcomeQuery.byJob(store, jobs: [], holdFor: .hours(24), from: monday.addingTimeInterval(-3600),
                                                    to: monday.addingTimeInterval(86_400), by: .channel, clock: clock)
        let byCall = try #require(outcomes.first { $0.group == "call" }, "\(outcomes.map { ($0.group ?? "-", $0.sent, $0.delivered) })")
        #expect(byCall.sent == 1 && byCall.delivered == 1, "\(outcomes.map { ($0.group ?? "-", $0.planned, $0.sent, $0.delivered) })")
        #expect(try await store.call(ids[1])?.note == "Anh Nam xác nhận, giao giờ hành chính")
        #expect(try await store.callLoads() == ["mai": 1], "nothing open but the call never sent")
    }

    func config() throws -> ShopConfig {
        try #require(ConfigLoader.load(TestSupport.packageRoot.appendingPathComponent("config.json")).config)
    }

    /// Two nodes on one PostgreSQL database hand the same call and press the same button at once:
    /// one assignment, one outcome.
    @Test func twoNodesAssignAndRecordACallOnce() async throws {
        let settings = try await TestPostgres.freshDatabase()
        let nodes = [PostgresStore(try await TestPostgres.open(settings)), PostgresStore(try await TestPostgres.open(settings))]
        _ = try await nodes[0].upsert(.customers, ["id": "C1", "full_name": "Nguyễn Thị Lan", "phone": "0912345678"], clock: clock, holdFor: .hours(24), now: monday)
        _ = try await nodes[0].upsert(.orders, ["id": "DH1", "customer_id": "C1", "placed_at": "2026-12-07T08:30:00+07:00", "amount": "2500000",
                                                "payment_method": "cod"], clock: clock, holdFor: .hours(24), now: monday)
        for i in 0..<20 {
            _ = try await nodes[0].outbox.enqueue(keys: ["k\(i)"], job: "cod-confirmation", customerId: "C1", orderIds: ["DH1"], reminder: nil,
                                                  renderings: callThenSMS("+84912345678"), dueAt: monday, now: monday)
        }
        let ids = try await nodes[0].outbox.list(state: .planned, limit: 100).map(\.id)
        // Both nodes' dispatchers drain at once: each call is claimed by one of them.
        async let a = dispatcher(nodes[0], at: monday).drain()
        async let b = dispatcher(nodes[1], at: monday).drain()
        let (ra, rb) = try await (a, b)
        #expect(ra.sent + rb.sent == 20)
        // The same desk decision made twice (a node's retry after a lapse): one row, the first.
        let desks = nodes.map { CallDesk(store: $0, roster: roster, clock: clock, jobs: [], now: { monday }) }
        let message = try #require(try await nodes[0].outbox.message(ids[0]))
        async let x = desks[0].send(OutgoingMessage(message))
        async let y = desks[1].send(OutgoingMessage(message))
        _ = await (x, y)
        let all = try await nodes[1].calls(CallQuery(agent: nil, day: LocalDate(year: 2026, month: 12, day: 7), clock: clock))
        #expect(all.count == 20 && Set(all.map(\.outboxId)) == Set(ids))
        #expect(Dictionary(grouping: all, by: \.assignment.agent).mapValues(\.count).values.reduce(0, +) == 20)

        // Two agents press "reached" on the same call at once: one outcome, one receipt.
        let record = CallRecord(outboxId: ids[0], result: .reached, effect: .reached, note: nil, rating: nil, by: "mai", at: monday)
        async let p = nodes[0].recordCall(record)
        async let q = nodes[1].recordCall(record)
        let (rp, rq) = try await (p, q)
        #expect([rp, rq].filter { $0 }.count == 1)
        #expect(try await nodes[0].outbox.deliveryCounts()["call"] == [.delivered: 1])
        #expect(try TestPostgres.psql(settings, "SELECT count(*) FROM call_attempts").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }
}

/// A low survey score becomes a call-back (issue 29): planned from the stored answer, on the
/// `call` channel, its script saying the score, the SMS as its fallback.
@Suite("Survey follow-up calls")
struct SurveyFollowUpCallTests {
    @Test func aLowScoreIsPlannedAsACallBackWithTheScoreInTheScript() async throws {
        let folder = try TestSupport.shopFolder()
        let file = folder.appendingPathComponent("jobs/survey-follow-up.json")
        try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "\"enabled\": false", with: "\"enabled\": true")
            .write(to: file, atomically: true, encoding: .utf8)
        let loaded = ConfigLoader.load(folder.appendingPathComponent("config.json"))
        let config = try #require(loaded.config)
        let job = try #require(JobLoader.loadAll(config: config).jobs.first { $0.name == "survey-follow-up" })
        let store = try Store(url: folder.appendingPathComponent("var/carecron.sqlite"))
        let clock = TestSupport.saigon, answered = TestSupport.instant("2026-12-09T20:50:00+07:00")
        _ = try store.upsert(.customers, ["id": "C1", "full_name": "Trần Thị Lan", "phone": "0912345678"], clock: clock, holdFor: .hours(24), now: answered)
        _ = try store.upsert(.orders, ["id": "D01", "customer_id": "C1", "placed_at": "2026-12-01T08:15:00+07:00", "amount": "450000", "status": "delivered",
                                       "delivered_at": "2026-12-03T10:00:00+07:00", "items": "Son dưỡng môi x1"], clock: clock, holdFor: .hours(24), now: answered)
        for (customer, score) in [("C1", 2), ("C1", 5)] {
            _ = try await store.recordSurveyAnswer(SurveyAnswer(job: score == 2 ? "survey-csat" : "survey-other", customerId: customer, orderId: "D01",
                                                                measure: .csat, score: score, source: .reply, answeredAt: answered))
        }
        var planner = CarePlanner(policy: config.policy, jobs: [job])
        planner.renderFallbacks = true
        let from = TestSupport.instant("2026-12-09T00:00:00+07:00"), to = TestSupport.instant("2026-12-11T00:00:00+07:00")
        let events = planner.plan(try await store.planningInput(for: planner, from: from, to: to), from: from, to: to).filter { $0.kind == .message }
        #expect(events.count == 1, "the 5 is not a low score: \(events.map(\.keys))")
        let call = try #require(events.first)
        #expect(call.at == TestSupport.instant("2026-12-10T08:00:00+07:00"), "30 minutes after 20:50 is quiet: the next morning")
        #expect(call.channel == .call && call.orderIds == ["D01"] && call.keys == ["survey-follow-up:survey-csat:C1:D01"])
        #expect(call.text?.hasPrefix("Khách chấm 2 điểm (CSAT, thang 1–5) cho đơn D01 (Son dưỡng môi x1).") == true, "\(call.text ?? "")")
        #expect(call.fallbacks.map(\.channel) == ["sms"])
    }
}
