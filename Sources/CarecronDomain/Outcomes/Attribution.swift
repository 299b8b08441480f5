import Foundation

/// A message as the outcomes see it: what job sent it to whom about which orders, and when it
/// reached the customer (its delivery where the channel reports one, else its sending). A
/// control-group message was never sent: `at` is when it would have gone.
public struct MessageRecord: Sendable, Equatable {
    public let id: Int64
    public let job: String
    public let customerId: String
    public let orderIds: [String]
    public let channel: String
    public let at: Date
    public let delivered: Bool
    public let heldOut: Bool

    public init(id: Int64, job: String, customerId: String, orderIds: [String], channel: String, at: Date, delivered: Bool = false,
                heldOut: Bool = false) {
        self.id = id
        self.job = job
        self.customerId = customerId
        self.orderIds = orderIds
        self.channel = channel
        self.at = at
        self.delivered = delivered
        self.heldOut = heldOut
    }
}

/// An order as the outcomes see it.
public struct OrderRecord: Sendable, Equatable {
    public let id: String
    public let customerId: String
    public let placedAt: Date
    public let amount: Int
    public let status: OrderStatus
    public let paidAt: Date?
    public let deliveredAt: Date?

    public init(id: String, customerId: String, placedAt: Date, amount: Int, status: OrderStatus, paidAt: Date? = nil, deliveredAt: Date? = nil) {
        self.id = id
        self.customerId = customerId
        self.placedAt = placedAt
        self.amount = amount
        self.status = status
        self.paidAt = paidAt
        self.deliveredAt = deliveredAt
    }
}

/// A goal reached, credited to one message.
public struct Conversion: Sendable, Equatable {
    public let job: String
    public let messageId: Int64
    public let orderId: String
    public let at: Date
    /// The order's amount, in đồng.
    public let revenue: Int
    public let heldOut: Bool

    public init(job: String, messageId: Int64, orderId: String, at: Date, revenue: Int, heldOut: Bool) {
        self.job = job
        self.messageId = messageId
        self.orderId = orderId
        self.at = at
        self.revenue = revenue
        self.heldOut = heldOut
    }
}

/// Who gets the credit (README, "What each message achieved"): a goal reached is credited to the
/// last message of the job that reached the customer before it, within the goal's window. One
/// order may count for several jobs (a reminder and a campaign), never twice for one job.
public enum Attribution {
    /// `holdFor`: how long an unpaid order is held (a reminder's order paid after that is late).
    public static func conversions(messages: [MessageRecord], orders: [OrderRecord], goals: [String: Goal], holdFor: TimeSpan) -> [Conversion] {
        let byJob = Dictionary(grouping: messages, by: \.job)
        var out: [Conversion] = []
        for (job, sent) in byJob.sorted(by: { $0.key < $1.key }) {
            guard let goal = goals[job] else { continue }
            switch goal {
            case .orderPaid, .orderDelivered:
                out += orderGoal(job, goal, sent, orders, holdFor: holdFor)
            case .newOrder(let within):
                out += newOrders(job, within, sent, orders)
            }
        }
        return out
    }

    /// The message's own order reached the goal: paid before its hold ended, or delivered. Only
    /// the order's customer's messages count (an order moved to another customer is no longer
    /// the first one's), so that each customer's credit depends on their own rows alone.
    static func orderGoal(_ job: String, _ goal: Goal, _ sent: [MessageRecord], _ orders: [OrderRecord], holdFor: TimeSpan) -> [Conversion] {
        let orderById = Dictionary(orders.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var messagesByOrder: [String: [MessageRecord]] = [:]
        for m in sent { for o in m.orderIds { messagesByOrder[o, default: []].append(m) } }
        var out: [Conversion] = []
        for (orderId, messages) in messagesByOrder.sorted(by: { $0.key < $1.key }) {
            guard let order = orderById[orderId], let reached = reachedAt(order, goal, holdFor: holdFor) else { continue }
            guard let last = messages.filter({ $0.at <= reached && $0.customerId == order.customerId }).max(by: { ($0.at, $0.id) < ($1.at, $1.id) }) else { continue }
            out.append(Conversion(job: job, messageId: last.id, orderId: orderId, at: reached, revenue: order.amount, heldOut: last.heldOut))
        }
        return out
    }

    /// When the order reached the goal, if it did.
    static func reachedAt(_ order: OrderRecord, _ goal: Goal, holdFor: TimeSpan) -> Date? {
        switch goal {
        case .orderPaid:
            guard order.status.isPaid, let paid = order.paidAt, paid <= order.placedAt.addingTimeInterval(holdFor.interval) else { return nil }
            return paid
        case .orderDelivered:
            guard order.status == .delivered else { return nil }
            return order.deliveredAt ?? order.paidAt
        case .newOrder:
            return nil
        }
    }

    /// A new order of the customer within the window after the job's message: credited to the
    /// last such message before it. An order withdrawn (cancelled, returned) is no conversion.
    static func newOrders(_ job: String, _ within: TimeSpan, _ sent: [MessageRecord], _ orders: [OrderRecord]) -> [Conversion] {
        let byCustomer = Dictionary(grouping: sent, by: \.customerId)
        var out: [Conversion] = []
        for order in orders.sorted(by: { ($0.placedAt, $0.id) < ($1.placedAt, $1.id) }) where !order.status.isWithdrawn {
            guard let candidates = byCustomer[order.customerId],
                  let last = candidates.filter({ $0.at < order.placedAt && order.placedAt.timeIntervalSince($0.at) <= within.interval })
                    .max(by: { ($0.at, $0.id) < ($1.at, $1.id) }) else { continue }
            out.append(Conversion(job: job, messageId: last.id, orderId: order.id, at: order.placedAt, revenue: order.amount, heldOut: last.heldOut))
        }
        return out
    }
}
