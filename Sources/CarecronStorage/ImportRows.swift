import CarecronDomain
import Foundation

/// A problem with one field of one record: reported as `FILE:LINE: field: reason`.
public struct FieldProblem: CodedError, Equatable, CustomStringConvertible {
    public var code: ErrorCode { .invalidField }
    public let field: String
    public let reason: String
    public var description: String { "\(field): \(reason)" }

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
}

/// A customer as stored, normalised.
public struct CustomerRow: Equatable, Sendable {
    public var id: String
    public var fullName: String
    public var gender: Gender
    public var phone: String?
    public var email: String?
    public var birthday: String?
    public var birthMonthDay: String?
    public var zaloUserId: String?
    public var tier: String?
    public var optOut: OptOut

    public static let columns = ["id", "full_name", "gender", "phone", "email", "birthday", "zalo_user_id", "tier", "opt_out"]
    public static let requiredColumns = ["id", "full_name"]

    /// Positions in `columns`, as `RecordFields` holds them.
    enum Column {
        static let id = 0, fullName = 1, gender = 2, phone = 3, email = 4, birthday = 5, zaloUserId = 6, tier = 7, optOut = 8
    }
}

/// An order as stored, normalised. Times are instants.
public struct OrderRow: Equatable, Sendable {
    public var id: String
    public var customerId: String
    public var placedAt: Date
    public var amount: Int
    public var paymentMethod: PaymentMethod
    public var status: OrderStatus
    public var paidAt: Date?
    public var deliveredAt: Date?
    public var items: String
    public var agent: String?

    public static let columns = ["id", "customer_id", "placed_at", "amount", "payment_method", "status", "paid_at",
                                 "delivered_at", "items", "agent"]
    public static let requiredColumns = ["id", "customer_id", "placed_at", "amount"]
    public static let paymentMethods = PaymentMethod.allCases.map(\.rawValue)

    /// Positions in `columns`, as `RecordFields` holds them.
    enum Column {
        static let id = 0, customerId = 1, placedAt = 2, amount = 3, paymentMethod = 4, status = 5, paidAt = 6,
                   deliveredAt = 7, items = 8, agent = 9
    }
    public static let statuses = OrderStatus.allCases.map(\.rawValue)
}

/// Turns the text fields of an import record into rows, the same way for CSV, JSON Lines
/// and the HTTP API.
public struct RowNormaliser: Sendable {
    public let clock: ShopClock

    public init(clock: ShopClock) { self.clock = clock }

    public func customer(_ f: [String: String]) throws(FieldProblem) -> CustomerRow {
        try customer(RecordFields(.customers, f))
    }

    public func order(_ f: [String: String]) throws(FieldProblem) -> OrderRow {
        try order(RecordFields(.orders, f))
    }

    public func customer(_ f: RecordFields) throws(FieldProblem) -> CustomerRow {
        typealias C = CustomerRow.Column
        let id = try identifier(f[C.id], "id")
        try plainText(f[C.fullName], "full_name")
        let name = CustomerName(f[C.fullName] ?? "")
        guard !name.full.isEmpty else { throw FieldProblem(field: "full_name", reason: "is empty") }
        guard let gender = Gender(lenient: f[C.gender] ?? "") else {
            throw FieldProblem(field: "gender", reason: "\"\(f[C.gender]!)\" is not female, male or empty")
        }
        var phone: String?
        if let raw = nonEmpty(f[C.phone]) {
            do { phone = try PhoneNumber(parsing: raw).e164 } catch let p as PhoneNumber.Problem {
                throw FieldProblem(field: "phone", reason: p.description)
            } catch { throw FieldProblem(field: "phone", reason: "\(error)") }
        }
        var email: String?
        if let raw = nonEmpty(f[C.email]) {
            let e = raw.utf8.allSatisfy({ $0 < 0x80 && !(0x41...0x5A).contains($0) }) ? raw : raw.lowercased()
            let parts = e.split(separator: "@", omittingEmptySubsequences: false)
            let ascii = e.utf8.allSatisfy { $0 < 0x80 }
            let hasSpace = ascii ? e.utf8.contains { $0 == 0x20 || (0x09...0x0D).contains($0) } : e.contains(where: \.isWhitespace)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].utf8.contains(UInt8(ascii: ".")), !parts[1].hasPrefix("."),
                  !parts[1].hasSuffix("."), !hasSpace else {
                throw FieldProblem(field: "email", reason: "\"\(raw)\" is not an email address")
            }
            email = e
        }
        var birthday: String?, md: String?
        if let raw = nonEmpty(f[C.birthday]) {
            guard let b = Self.birthday(raw) else {
                throw FieldProblem(field: "birthday", reason: "\"\(raw)\" is not a date; write YYYY-MM-DD (or DD/MM/YYYY, or --MM-DD without a year)")
            }
            birthday = b.text
            md = b.monthDay
        }
        var zalo: String?
        if let raw = nonEmpty(f[C.zaloUserId]) {
            guard raw.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw FieldProblem(field: "zalo_user_id", reason: "\"\(raw)\" is not a Zalo user id")
            }
            zalo = raw
        }
        try plainText(f[C.tier], "tier")
        let optText = nonEmpty(f[C.optOut]).map { $0 == "none" ? $0 : $0.lowercased() } ?? "none"
        guard let optOut = OptOut(rawValue: optText) else {
            throw FieldProblem(field: "opt_out", reason: "\"\(optText)\" is not none, marketing or all")
        }
        return CustomerRow(id: id, fullName: name.full, gender: gender, phone: phone, email: email, birthday: birthday,
                           birthMonthDay: md, zaloUserId: zalo, tier: nonEmpty(f[C.tier]).map(nfc), optOut: optOut)
    }

    public func order(_ f: RecordFields) throws(FieldProblem) -> OrderRow {
        typealias C = OrderRow.Column
        let id = try identifier(f[C.id], "id")
        let customer = try identifier(f[C.customerId], "customer_id")
        let placed = try instant(f[C.placedAt], "placed_at", required: true)!
        guard let amountText = nonEmpty(f[C.amount]) else { throw FieldProblem(field: "amount", reason: "is empty") }
        let amount: Int
        switch Money.parse(amountText) {
        case .success(let value): amount = value
        case .failure(let problem): throw FieldProblem(field: "amount", reason: problem.description)
        }
        let methodText = (nonEmpty(f[C.paymentMethod]) ?? "prepaid").lowercased()
        guard let method = PaymentMethod(rawValue: methodText) else {
            let method = methodText
            throw FieldProblem(field: "payment_method", reason: "\"\(method)\" is not one of \(OrderRow.paymentMethods.joined(separator: ", "))")
        }
        let statusText = (nonEmpty(f[C.status]) ?? "pending").lowercased()
        guard let status = OrderStatus(rawValue: statusText) else {
            let status = statusText
            let hint = Suggest.closest(to: status, among: OrderRow.statuses).map { " (did you mean \($0)?)" } ?? ""
            throw FieldProblem(field: "status", reason: "\"\(status)\" is not one of \(OrderRow.statuses.joined(separator: ", "))\(hint)")
        }
        let paid = try instant(f[C.paidAt], "paid_at", required: false)
        let delivered = try instant(f[C.deliveredAt], "delivered_at", required: false)
        if let paid, paid < placed { throw FieldProblem(field: "paid_at", reason: "is before placed_at") }
        if let delivered, delivered < placed { throw FieldProblem(field: "delivered_at", reason: "is before placed_at") }
        try plainText(f[C.items], "items", allowing: ["\n", "\t"])
        try plainText(f[C.agent], "agent")
        return OrderRow(id: id, customerId: customer, placedAt: placed, amount: amount, paymentMethod: method, status: status,
                        paidAt: paid, deliveredAt: delivered, items: nfc(f[C.items] ?? "").trimmedSpaces,
                        agent: nonEmpty(f[C.agent]).map(nfc))
    }

    private func identifier(_ value: String?, _ key: String) throws(FieldProblem) -> String {
        guard let v = nonEmpty(value) else { throw FieldProblem(field: key, reason: "is empty") }
        let plain = v.utf8.count <= 64 && v.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }  // ASCII without controls: no newline
        guard plain || (v.count <= 64 && !v.contains(where: { $0.isNewline })) else {
            throw FieldProblem(field: key, reason: "must be at most 64 characters on one line")
        }
        if !plain { try plainText(v, key) }
        return v
    }

    /// Text a person reads or a message carries holds no control character: a NUL cuts a name
    /// short in C libraries and terminals, and the others show as nothing or as garbage.
    private func plainText(_ value: String?, _ key: String, allowing allowed: Set<Unicode.Scalar> = []) throws(FieldProblem) {
        guard let value, !value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return }
        if let c = value.unicodeScalars.first(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) {
            let code = String(c.value, radix: 16, uppercase: true)
            throw FieldProblem(field: key, reason: "contains a control character (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code))")
        }
    }

    private func instant(_ value: String?, _ key: String, required: Bool) throws(FieldProblem) -> Date? {
        guard let raw = nonEmpty(value) else {
            if required { throw FieldProblem(field: key, reason: "is empty") }
            return nil
        }
        guard let d = InstantFormat.parse(raw, clock: clock) else {
            throw FieldProblem(field: key, reason: "\"\(raw)\" is not a time; write e.g. 2026-12-01T08:15:00+07:00 (or without the offset for shop time)")
        }
        return d
    }

    private func nonEmpty(_ s: String?) -> String? {
        guard let t = s?.trimmedSpaces, !t.isEmpty else { return nil }
        return t
    }

    private func nfc(_ s: String) -> String { s.nfc }

    /// "1994-12-01", "01/12/1994" or "--12-01" (no year) → the stored text and "MM-DD".
    static func birthday(_ raw: String) -> (text: String, monthDay: String)? {
        if raw.hasPrefix("--"), let d = LocalDate(iso: "2000" + raw.dropFirst(1)) {
            let md = d.monthDay
            return ("--" + md, md)
        }
        var date = LocalDate(iso: raw)
        if date == nil, let m = raw.wholeMatch(of: /([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})/) {
            date = LocalDate(iso: String(format: "%04d-%02d-%02d", Int(m.3)!, Int(m.2)!, Int(m.1)!))
        }
        guard let d = date, d.year >= 1900 else { return nil }
        return (d.description, d.monthDay)
    }
}

/// An import record's values by position in its kind's columns (`CustomerRow.columns`,
/// `OrderRow.columns`): a million rows should not hash ten column names each.
public struct RecordFields: Sendable {
    public var values: [String?]

    public init(_ kind: ImportKind) { values = Array(repeating: nil, count: kind.columns.count) }

    public init(_ kind: ImportKind, _ named: [String: String]) {
        values = kind.columns.map { named[$0] }
    }

    public subscript(_ position: Int) -> String? {
        get { values[position] }
        set { values[position] = newValue }
    }
}

extension ImportKind {
    public var columns: [String] { self == .customers ? CustomerRow.columns : OrderRow.columns }
    public var requiredColumns: [String] { self == .customers ? CustomerRow.requiredColumns : OrderRow.requiredColumns }
}

extension RowNormaliser {
    /// The record's id, which every record must have.
    public func validatedId(_ fields: RecordFields) throws -> String {
        guard let id = fields[0]?.trimmedSpaces, !id.isEmpty else {
            throw FieldProblem(field: "id", reason: "is empty")
        }
        return id
    }

    /// The record's values checked and normalised, without touching the store.
    public func normalise(_ kind: ImportKind, _ fields: RecordFields) throws(FieldProblem) -> NormalisedRecord {
        switch kind {
        case .customers: return .customer(try customer(fields))
        case .orders: return .order(try order(fields))
        }
    }

}
