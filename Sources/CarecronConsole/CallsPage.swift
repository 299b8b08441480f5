import CarecronConfig
import CarecronDomain
import CarecronStorage
import Foundation
import Mustache

/// *Cuộc gọi hôm nay*: an agent's calls of the day, made for a phone: in the order to make
/// them, each with the customer, a `tel:` link, the script, what happened lately, and the
/// outcome's buttons (issue 29).
struct CallsModel: PageModel {
    struct AgentChoice: Encodable {
        let login: String
        let name: String
        let selected: Bool
        let open: Int
        let away: Bool
    }

    /// One past thing about the customer (an order, a message, a reply), in a line.
    struct Line: Encodable {
        let at: String
        let text: String
    }

    struct Call: Encodable {
        let id: String
        let position: Int
        let time: String
        let overdue: Bool
        let customerId: String
        let customerName: String
        let phone: String
        let tel: String
        let job: String
        let orders: String
        let amount: String
        let tries: String?
        let script: String
        let isOpen: Bool
        /// The first open call shows its details at once.
        let expanded: Bool
        let askRating: Bool
        let outcome: String?
        let note: String?
        let rating: String?
        let rule: String
        let recentOrders: [Line]
        let recentMessages: [Line]
        let recentReplies: [Line]
        let hasOrders: Bool
        let hasMessages: Bool
        let hasReplies: Bool
    }

    /// A call this long past its time is shown late (a due call is not late the minute it falls due).
    static let lateAfter: TimeInterval = 1800

    let agentLogin: String
    let agentName: String
    let day: String
    let dayISO: String
    let agents: [AgentChoice]
    let choosesAgent: Bool
    let calls: [Call]
    let openCount: Int
    let doneCount: Int
    let hasCalls: Bool
    let canRecord: Bool
    let isAway: Bool
    /// A datetime-local default for "call back at": an hour from now.
    let callBackDefault: String
    var done: String?
    var doneFailed: Bool?
}

/// Builds the page from the store: the lists of the day, then for each call the customer's recent past.
struct CallsPage {
    let store: any CareStore
    let config: ShopConfig
    let jobs: [JobDefinition]
    let words: ScheduleWords

    func model(agent: Agent?, day: LocalDate, now: Date, session: ConsoleSession) async throws -> CallsModel {
        let clock = config.clock, roster = config.console.roster
        let away = try await store.agentsAway(on: day)
        let lists = try await CallLists.lists(store, agent: session.role == .agent ? agent?.login : nil, day: day, clock: clock)
        let mine = agent.flatMap { lists[$0.login] } ?? []
        let jobsByName = Dictionary(jobs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let recent = try await store.recent(customerIds: Array(Set(mine.compactMap(\.assignment.customerId))))
        var calls: [CallsModel.Call] = []
        var expanded = false
        for (i, c) in mine.enumerated() {
            let open = c.state == .open
            calls.append(call(c, position: i + 1, expanded: open && !expanded, jobs: jobsByName, now: now, day: day,
                              recent: c.assignment.customerId.flatMap { recent[$0] } ?? CustomerRecent()))
            if open { expanded = true }
        }
        let local = clock.localDate(of: now.addingTimeInterval(3600)), time = clock.timeOfDay(of: now.addingTimeInterval(3600))
        return CallsModel(
            agentLogin: agent?.login ?? "", agentName: agent?.displayName ?? "", day: VietnameseFormat.date(day), dayISO: day.description,
            agents: roster.agents.map { a in
                CallsModel.AgentChoice(login: a.login, name: a.displayName, selected: a.login == agent?.login,
                                       open: lists[a.login]?.filter { $0.state == .open }.count ?? 0, away: away.contains(a.login))
            },
            choosesAgent: session.role != .agent, calls: calls,
            openCount: mine.filter { $0.state == .open }.count, doneCount: mine.filter { $0.state == .done }.count, hasCalls: !mine.isEmpty,
            canRecord: session.role == .editor || (session.role == .agent && session.user == agent?.login),
            isAway: agent.map { away.contains($0.login) } ?? false,
            callBackDefault: "\(local)T\(time)")
    }

    func call(_ c: CallItem, position: Int, expanded: Bool, jobs: [String: JobDefinition], now: Date, day: LocalDate, recent: CustomerRecent) -> CallsModel.Call {
        let clock = config.clock, job = jobs[c.assignment.job]
        // An open call shows when to call; a finished one, when it was done.
        let due = c.state == .done ? (c.doneAt ?? c.assignment.nextTryAt) : c.assignment.nextTryAt
        let time = clock.localDate(of: due) == day ? "\(clock.timeOfDay(of: due))" : words.instant(due, clock: clock)
        let orders = recent.orders.map { o in
            CallsModel.Line(at: words.instant(o.placedAt, clock: clock),
                            text: "\(o.id) · \(VietnameseFormat.money(o.amount)) · \(words.word("status_\(o.status)")) · \(o.items)")
        }
        let messages = recent.messages.filter { $0.id != c.outboxId }.prefix(3).map { m in
            CallsModel.Line(at: words.instant(m.at, clock: clock), text: "\(jobs[m.job]?.description ?? m.job) · \(words.word("channel_\(m.channel)")) · \(words.state(m.state))")
        }
        let replies = recent.replies.map { CallsModel.Line(at: words.instant($0.at, clock: clock), text: $0.text) }
        return CallsModel.Call(
            id: String(c.outboxId), position: position, time: time, overdue: c.state == .open && due < now.addingTimeInterval(-CallsModel.lateAfter),
            customerId: c.assignment.customerId ?? "", customerName: c.customerName ?? c.assignment.customerId ?? "",
            phone: VietnameseFormat.phone(c.phone), tel: c.phone, job: job?.description ?? c.assignment.job,
            orders: c.orderIds.joined(separator: ", "), amount: c.assignment.amount > 0 ? VietnameseFormat.money(c.assignment.amount) : "",
            tries: c.tries == 0 ? nil : words.say(Sentence("calls.tries", ["n": .number(c.tries)])),
            script: c.script, isOpen: c.state == .open, expanded: expanded, askRating: job?.call?.askRating ?? false,
            outcome: c.result.map { words.say(Sentence("call.result.\($0.rawValue)")) }, note: c.note,
            rating: c.rating.map { words.say(Sentence("calls.rated", ["score": .number($0)])) },
            rule: words.say(Sentence("call.rule.\(c.assignment.rule.rawValue)")),
            recentOrders: orders, recentMessages: messages, recentReplies: replies,
            hasOrders: !orders.isEmpty, hasMessages: !messages.isEmpty, hasReplies: !replies.isEmpty)
    }
}

/// A card's names looked up by a switch: an agent's page has a hundred cards, and reading each
/// name by reflection (the default) took 4 ms a card, two fifths of a second a page.
extension CallsModel.Call: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "position": position
        case "time": time
        case "overdue": overdue
        case "customerId": customerId
        case "customerName": customerName
        case "phone": phone
        case "tel": tel
        case "job": job
        case "orders": orders
        case "amount": amount
        case "tries": tries
        case "script": script
        case "isOpen": isOpen
        case "expanded": expanded
        case "askRating": askRating
        case "outcome": outcome
        case "note": note
        case "rating": rating
        case "rule": rule
        case "recentOrders": recentOrders
        case "recentMessages": recentMessages
        case "recentReplies": recentReplies
        case "hasOrders": hasOrders
        case "hasMessages": hasMessages
        case "hasReplies": hasReplies
        default: nil
        }
    }
}

extension CallsModel.Line: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": at
        case "text": text
        default: nil
        }
    }
}
