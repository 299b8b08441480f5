import CarecronConfig
import CarecronDomain
import CarecronStore
import Crypto
import Foundation
import GRDB

/// Shopify and Haravan order webhooks (orders/create, orders/paid, orders/fulfilled,
/// orders/cancelled): verified by the base64 HMAC-SHA256 of the raw body, applied once per
/// webhook id, turned into the same records and events as the API.
public struct PlatformWebhooks: Sendable {
    public let store: Store
    public let secret: String

    public enum Outcome: Equatable, Sendable {
        case applied, duplicate, ignored(String)
        case unauthorized, invalid(field: String, reason: String), conflict(String), notFound(String)
    }

    /// The signature header each platform uses (Haravan spells it two ways).
    public static let signatureHeaders = ["X-Shopify-Hmac-Sha256", "X-Haravan-Hmacsha256", "X-Haravan-Hmac-Sha256"]
    public static let topicHeaders = ["X-Shopify-Topic", "X-Haravan-Topic"]
    public static let idHeaders = ["X-Shopify-Webhook-Id", "X-Haravan-Webhook-Id"]

    public static func signature(_ body: Data, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
    }

    public func handle(body: Data, signature: String?, topic: String?, webhookId: String?, config: ShopConfig) throws -> Outcome {
        guard let signature, ConstantTime.equal(signature, Self.signature(body, secret: secret)) else { return .unauthorized }
        guard let topic else { return .invalid(field: "topic", reason: "no X-Shopify-Topic or X-Haravan-Topic header") }
        guard let order = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let rawId = order["id"] else {
            return .invalid(field: "body", reason: "not an order object with an id")
        }
        let orderId = "\(rawId)"
        // Without an id header, the body itself identifies the delivery.
        let eventId = webhookId ?? "\(topic):" + SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        let seen = try store.db.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM webhook_events WHERE id = ?", arguments: [eventId]) ?? false }
        if seen { return .duplicate }
        let outcome: Outcome
        switch topic {
        case "orders/create", "orders/updated":
            outcome = try upsert(order, orderId: orderId, config: config)
        case "orders/paid", "orders/fulfilled", "orders/cancelled":
            let event: OrderEvents.Event = topic == "orders/paid" ? .payment : topic == "orders/fulfilled" ? .delivery : .cancel
            if try orderExists(orderId) == false { _ = try upsert(order, orderId: orderId, config: config) }
            let at = (order[event == .cancel ? "cancelled_at" : event == .payment ? "processed_at" : "updated_at"] as? String)
                .flatMap { InstantFormat.parse($0, clock: config.clock) } ?? Date()
            do {
                _ = try OrderEvents(store: store, holdFor: config.holdFor).apply(event, orderId: orderId, at: at)
                outcome = .applied
            } catch OrderEvents.Failure.conflict(let why) {
                outcome = .conflict(why)
            } catch OrderEvents.Failure.notFound(let why) {
                outcome = .notFound(why)
            }
        default:
            outcome = .ignored("topic \(topic) is not handled")
        }
        // An invalid delivery is not remembered, so that the platform's retry of a fixed one applies.
        if case .invalid = outcome { return outcome }
        try store.db.write {
            try $0.execute(sql: "INSERT OR IGNORE INTO webhook_events (id, topic, received_at) VALUES (?, ?, ?)",
                           arguments: [eventId, topic, Int(Date().timeIntervalSince1970)])
        }
        return outcome
    }

    private func orderExists(_ id: String) throws -> Bool {
        try store.db.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM orders WHERE id = ?", arguments: [id]) ?? false }
    }

    /// The order (and its customer) as import records.
    private func upsert(_ o: [String: Any], orderId: String, config: ShopConfig) throws -> Outcome {
        guard let customer = o["customer"] as? [String: Any], let cid = customer["id"] else {
            return .invalid(field: "customer", reason: "the order has no customer")
        }
        let first = customer["first_name"] as? String ?? "", last = customer["last_name"] as? String ?? ""
        var c: [String: String] = ["id": "\(cid)", "full_name": "\(last) \(first)".trimmedSpaces]
        c["email"] = customer["email"] as? String
        c["phone"] = (customer["phone"] as? String) ?? ((o["shipping_address"] as? [String: Any])?["phone"] as? String)
        c["opt_out"] = (customer["accepts_marketing"] as? Bool) == true ? "none" : "marketing"
        let gateways = ((o["payment_gateway_names"] as? [String]) ?? []) + [(o["gateway"] as? String) ?? ""]
        let cod = gateways.contains { $0.lowercased().contains("cod") || $0.lowercased().contains("cash on delivery") }
        let financial = (o["financial_status"] as? String) ?? "pending"
        let items = ((o["line_items"] as? [[String: Any]]) ?? []).map { "\($0["title"] ?? "") x\($0["quantity"] ?? 1)" }
        var r: [String: String] = [
            "id": orderId, "customer_id": "\(cid)", "placed_at": (o["created_at"] as? String) ?? "",
            "amount": String(Int((Double("\(o["total_price"] ?? "0")") ?? 0).rounded())),
            "payment_method": cod ? "cod" : "prepaid", "status": financial == "paid" ? "paid" : "pending",
            "items": items.joined(separator: "; "),
        ]
        if financial == "paid" { r["paid_at"] = (o["processed_at"] as? String) ?? (o["created_at"] as? String) }
        let writer = RecordWriter(normaliser: RowNormaliser(clock: config.clock), holdFor: config.holdFor)
        do {
            try store.db.write { db in
                let now = Int(Date().timeIntervalSince1970)
                do { _ = try writer.upsert(.customers, c, db: db, now: now) } catch let p as FieldProblem where p.field == "phone" || p.field == "email" {
                    // A platform's contact we cannot read must not lose the order: keep the customer without it.
                    c[p.field] = nil
                    _ = try writer.upsert(.customers, c, db: db, now: now)
                }
                _ = try writer.upsert(.orders, r, db: db, now: now)
            }
        } catch let p as FieldProblem {
            return .invalid(field: p.field, reason: p.reason)
        }
        return .applied
    }
}
