import CarecronConfig
import CarecronDomain
import CarecronStorage
import Crypto
import Foundation

/// Shopify and Haravan order webhooks: verified by the base64 HMAC-SHA256 of the raw body,
/// applied once per webhook id, never older than what is stored (their `updated_at`), the status
/// only moving forward. What each topic changes is in the README ("Shop platforms").
public struct PlatformWebhooks: Sendable {
    public let store: any CareStore
    public let secret: String
    public let clock: WallClock

    public init(store: any CareStore, secret: String, clock: WallClock = .system) {
        self.store = store
        self.secret = secret
        self.clock = clock
    }

    public enum Outcome: Equatable, Sendable {
        case applied, duplicate, ignored(String)
        case unauthorized, invalid(field: String, reason: String), conflict(String), notFound(String)
    }

    /// The signature header each platform uses (Haravan spells it two ways).
    public static let signatureHeaders = ["X-Shopify-Hmac-Sha256", "X-Haravan-Hmacsha256", "X-Haravan-Hmac-Sha256"]
    public static let topicHeaders = ["X-Shopify-Topic", "X-Haravan-Topic"]
    public static let idHeaders = ["X-Shopify-Webhook-Id", "X-Haravan-Webhook-Id"]

    /// The order topics carecron acts on; any other is answered `ignored` and touches nothing.
    static let orderTopics: Set<String> = ["orders/create", "orders/updated", "orders/edited", "orders/paid", "orders/fulfilled", "orders/cancelled"]

    public static func signature(_ body: Data, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
    }

    /// `platform` names where the delivery came from: each platform numbers its deliveries
    /// itself, so a Haravan id may equal a Shopify one and is still another delivery.
    public func handle(platform: String, body: Data, signature: String?, topic: String?, webhookId: String?, config: ShopConfig) async throws -> Outcome {
        guard let signature, let code = Data(base64Encoded: signature),
              HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: Data(secret.utf8))) else {
            return .unauthorized
        }
        guard let topic else { return .invalid(field: "topic", reason: "no X-Shopify-Topic or X-Haravan-Topic header") }
        guard Self.orderTopics.contains(topic) else { return .ignored("topic \(topic) is not one carecron acts on") }
        guard let payload = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return .invalid(field: "body", reason: "not a JSON object")
        }
        if topic == "orders/edited", payload["order_edit"] != nil {
            // Shopify's edit names the changed lines only; the new totals come with the orders/updated it is followed by.
            return .ignored("an order edit is applied from the orders/updated that follows it")
        }
        guard let rawId = payload["id"] else { return .invalid(field: "body", reason: "not an order object with an id") }
        let orders = store.platformOrders(clock: config.clock, holdFor: config.holdFor)
        // Without an id header, the body itself identifies the delivery.
        let eventId = "\(platform):" + (webhookId ?? "\(topic):" + SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined())
        if try await orders.seen(webhook: eventId) { return .duplicate }
        let order = PlatformOrder(payload, id: "\(rawId)", config: config)
        if let refusal = order.currencyRefusal ?? order.timeRefusal { return refusal }
        let outcome: Outcome
        switch topic {
        case "orders/paid", "orders/fulfilled", "orders/cancelled":
            outcome = try await event(topic, order, orders, config: config)
        default:
            outcome = try await upsert(order, orders)
        }
        // An invalid delivery is not remembered, so that the platform's retry of a fixed one applies.
        if case .invalid = outcome { return outcome }
        try await orders.remember(webhook: eventId, topic: topic, at: clock.now())
        return outcome
    }

    /// orders/create, orders/updated, orders/edited: the whole order, merged with what is stored.
    private func upsert(_ order: PlatformOrder, _ orders: any PlatformOrderStore) async throws -> Outcome {
        let update: PlatformOrderUpdate
        switch order.update() {
        case .success(let u): update = u
        case .failure(let refusal): return refusal.outcome
        }
        do {
            if case .stale(let stored) = try await orders.apply(update, now: clock.now()) {
                return .ignored("older than the stored order (its updated_at \(ISO8601DateFormatter().string(from: stored)))")
            }
            return .applied
        } catch let p as FieldProblem {
            return .invalid(field: p.field, reason: p.reason)
        }
    }

    /// orders/paid, orders/fulfilled, orders/cancelled: the event at the platform's time of it,
    /// with the state rules of the API's events (a payment on a cancelled order is a conflict).
    private func event(_ topic: String, _ order: PlatformOrder, _ orders: any PlatformOrderStore, config: ShopConfig) async throws -> Outcome {
        if try await !orders.exists(orderId: order.id) {
            let outcome = try await upsert(order, orders)
            if outcome != .applied { return outcome }
        }
        if let at = order.updatedAt, let stored = try await orders.storedUpdatedAt(orderId: order.id), at < stored {
            return .ignored("older than the stored order (its updated_at \(ISO8601DateFormatter().string(from: stored)))")
        }
        let event: OrderEvents.Event = topic == "orders/paid" ? .payment : topic == "orders/fulfilled" ? .delivery : .cancel
        let at = order.time(event == .cancel ? "cancelled_at" : event == .payment ? "processed_at" : "updated_at") ?? clock.now()
        do {
            _ = try await store.apply(event, orderId: order.id, at: at, holdFor: config.holdFor, now: clock.now())
            try await orders.noteUpdated(orderId: order.id, at: order.updatedAt)
            return .applied
        } catch OrderEvents.Failure.conflict(let why) {
            return .conflict(why)
        } catch OrderEvents.Failure.notFound(let why) {
            return .notFound(why)
        }
    }
}

/// A Shopify or Haravan order body read as carecron's records.
struct PlatformOrder {
    let body: [String: Any]
    let id: String
    let config: ShopConfig

    init(_ body: [String: Any], id: String, config: ShopConfig) {
        self.body = body
        self.id = id
        self.config = config
    }

    struct Refusal: Error {
        let outcome: PlatformWebhooks.Outcome
    }

    func string(_ key: String) -> String? {
        guard let v = body[key], !(v is NSNull) else { return nil }
        return v as? String ?? "\(v)"
    }

    func time(_ key: String) -> Date? { string(key).flatMap { InstantFormat.parse($0, clock: config.clock) } }

    var updatedAt: Date? { time("updated_at") }

    /// An amount in another currency is never stored as đồng.
    var currencyRefusal: PlatformWebhooks.Outcome? {
        guard let currency = string("currency")?.uppercased(), currency != config.currency else { return nil }
        return .invalid(field: "currency", reason: "the order is in \(currency) and the shop's currency is \(config.currency) (config.json \"currency\"): not stored, never relabelled")
    }

    /// The times carecron reads, when present, are times: a day the calendar does not have is
    /// refused, never read as the nearest one (30 February as 2 March).
    var timeRefusal: PlatformWebhooks.Outcome? {
        for key in ["created_at", "updated_at", "processed_at", "cancelled_at", "closed_at"] {
            guard let text = string(key), !text.isEmpty, InstantFormat.parse(text, clock: config.clock) == nil else { continue }
            return .invalid(field: key, reason: "\"\(text)\" is not a time; platforms write e.g. 2026-12-01T08:15:00+07:00")
        }
        return nil
    }

    /// Haravan says cancelled and closed also in words.
    var isCancelled: Bool { string("cancelled_at") != nil || string("cancelled_status") == "cancelled" }
    var isClosed: Bool { string("closed_at") != nil || string("closed_status") == "closed" }

    func update() -> Result<PlatformOrderUpdate, Refusal> {
        guard let customer = body["customer"] as? [String: Any], let cid = customer["id"], !(cid is NSNull) else {
            return .failure(Refusal(outcome: .invalid(field: "customer", reason: "the order has no customer")))
        }
        let status: OrderStatus
        do { status = try OrderLifecycle.status(financial: string("financial_status"), cancelled: isCancelled, closed: isClosed) } catch {
            let known = OrderLifecycle.financialStatuses.keys.sorted().joined(separator: ", ")
            return .failure(Refusal(outcome: .invalid(field: "financial_status", reason: "\"\(error.value)\" is not one of \(known)")))
        }
        let first = customer["first_name"] as? String ?? "", last = customer["last_name"] as? String ?? ""
        var c: [String: String] = ["id": "\(cid)", "full_name": "\(last) \(first)".trimmedSpaces]
        c["email"] = customer["email"] as? String
        c["phone"] = (customer["phone"] as? String) ?? ((body["shipping_address"] as? [String: Any])?["phone"] as? String)
        c["opt_out"] = (customer["accepts_marketing"] as? Bool) == true ? "none" : "marketing"
        let gateways = ((body["payment_gateway_names"] as? [String]) ?? []) + [string("gateway") ?? ""]
        let cod = gateways.contains { $0.lowercased().contains("cod") || $0.lowercased().contains("cash on delivery") }
        let items = ((body["line_items"] as? [[String: Any]]) ?? []).map { "\($0["title"] ?? "") x\($0["quantity"] ?? 1)" }
        // Shopify sends "403000.00", Haravan a number: both read as đồng by the import's own rule.
        let amount: Int
        switch Money.parse(string("total_price") ?? "0") {
        case .success(let value): amount = value
        case .failure(let problem): return .failure(Refusal(outcome: .invalid(field: "total_price", reason: problem.description)))
        }
        let order: [String: String] = [
            "id": id, "customer_id": "\(cid)", "placed_at": string("created_at") ?? "",
            "amount": String(amount),
            "payment_method": cod ? "cod" : "prepaid", "items": items.joined(separator: "; "),
        ]
        return .success(PlatformOrderUpdate(customer: c, order: order, status: status,
                                            paidAt: time("processed_at") ?? time("created_at"),
                                            cancelledAt: time("cancelled_at") ?? time("closed_at"), updatedAt: updatedAt))
    }
}
