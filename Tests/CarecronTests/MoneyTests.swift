import CarecronDomain
import CarecronSQLite
import CarecronStorage
import Foundation
import Testing

/// Issue 24, items 2 and 5: amounts read the Vietnamese way, the English way and the platforms'
/// way alike; a fraction of a đồng, an ambiguous amount or one past the maximum is refused, never
/// guessed; sums never overflow.
@Suite("Money")
struct MoneyTests {
    @Test(arguments: [
        ("150000", 150_000), ("150.000", 150_000), ("150,000", 150_000), ("150000.00", 150_000),
        ("150000,00", 150_000), ("403.00", 403), ("1.250.000", 1_250_000), ("1,250,000", 1_250_000),
        ("1,250,000.00", 1_250_000), ("1.250.000,00", 1_250_000), ("1.250.000₫", 1_250_000), ("1.250.000 đ", 1_250_000),
        ("250000 VND", 250_000), (" 99 ", 99), ("0", 0), ("-0", 0), ("0.00", 0), ("1.000", 1_000),
        ("1000000000000", Money.maximum), ("000150000", 150_000),
    ])
    func readsEveryWayShopsWriteAnAmount(_ text: String, _ expected: Int) {
        #expect((try? Money.parse(text).get()) == expected, "\(text)")
    }

    @Test(arguments: [
        ("199.50", "fraction"), ("150000.5", "fraction"), ("1,250,000.01", "fraction"), ("1.5", "fraction"),
        ("150.000.00", "more than one way"), ("1.250,000.00", "more than one way"), ("1,25,000", "more than one way"),
        ("0.500", "more than one way"), ("12.3456.789", "more than one way"), ("150000.000", "more than one way"),
        ("1250.000", "more than one way"), ("1.000,000", "more than one way"),
        ("1e300", "not an amount"), ("nan", "not an amount"), ("", "not an amount"), ("1 250 000", "not an amount"),
        ("150.", "not an amount"), (".5", "not an amount"), ("+5", "not an amount"), ("١٢٣", "not an amount"), ("Infinity", "not an amount"),
        ("-5", "negative"), ("5000000000000000000", "largest amount"), ("1000000000001", "largest amount"),
        ("99999999999999999999999", "largest amount"),
    ])
    func refusesWhatCannotBeReadOneWay(_ text: String, _ reason: String) {
        switch Money.parse(text) {
        case .success(let v): Issue.record("\"\(text)\" read as \(v)")
        case .failure(let p): #expect(p.description.contains(reason), "\(text): \(p)")
        }
    }

    @Test func sumsHoldAtTheEndsInsteadOfTrapping() {
        #expect(Money.total([Int.max, 1]) == Int.max)
        #expect(Money.total([5_000_000_000_000_000_000, 5_000_000_000_000_000_000, -1]) == Int.max - 1)
        #expect(Money.total([1, 2, 3]) == 6)
        #expect(Money.adding(Int.max, Int.max) == Int.max)
    }

    /// The same rule for every import: the row error names the field and keeps the text.
    @Test func importRowsNameTheAmountField() throws {
        let n = RowNormaliser(clock: ShopClock(zone: TimeZone(identifier: "Asia/Ho_Chi_Minh")!))
        func order(_ amount: String) throws -> OrderRow {
            try n.order(["id": "D1", "customer_id": "C1", "placed_at": "2026-12-01T08:15:00+07:00", "amount": amount])
        }
        #expect((try? order("150000.00"))?.amount == 150_000)
        #expect((try? order("150.000"))?.amount == 150_000)
        #expect((try? order("1,250,000.00"))?.amount == 1_250_000)
        #expect(throws: FieldProblem(field: "amount", reason: Money.Problem.fractional("199.50").description)) { try order("199.50") }
        #expect(throws: FieldProblem.self) { try order("5000000000000000000") }
    }

    @Test func namesAndIdsRefuseControlCharacters() throws {
        let n = RowNormaliser(clock: ShopClock(zone: TimeZone(identifier: "Asia/Ho_Chi_Minh")!))
        #expect(throws: FieldProblem(field: "full_name", reason: "contains a control character (U+0000)")) {
            try n.customer(["id": "C1", "full_name": "Trần Thị\u{0}Lan"])
        }
        #expect(throws: FieldProblem(field: "id", reason: "contains a control character (U+0007)")) {
            try n.customer(["id": "Khách\u{7}1", "full_name": "Lan"])
        }
        #expect(throws: FieldProblem(field: "items", reason: "contains a control character (U+0000)")) {
            try n.order(["id": "D1", "customer_id": "C1", "placed_at": "2026-12-01T08:15:00+07:00", "amount": "1", "items": "Son\u{0}"])
        }
        #expect((try? n.customer(["id": "C1", "full_name": "Trần Thị Lan"]))?.fullName == "Trần Thị Lan")
    }
}
