import CarecronDomain
import Foundation

/// SplitMix64: small, fast and the same on every machine, so a seed names a shop (and tests repeat).
public struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public enum ShopGenerator {
    static let families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
    static let female = ["Lan", "Hà", "Trang", "Linh", "Ngọc Ánh", "Mỹ Duyên", "Thu Hằng", "Yến", "Thảo", "Phương"]
    static let male = ["Hùng", "Bảo", "Tuấn", "Đức", "Minh", "Quốc Huy", "Thanh Tâm", "Nam", "Dũng", "Khoa"]
    static let items = ["Son dưỡng môi x1", "Kem chống nắng x2", "Sữa rửa mặt x1", "Serum vitamin C x1", "Mặt nạ x3",
                        "Bộ quà tặng x1", "Nước hoa hồng x1", "Bông tẩy trang x1", "Dầu gội x1", "Phấn phủ x1"]
    static let mobile = ["90", "91", "93", "94", "96", "97", "98", "86", "88", "89", "70", "77", "79", "32", "33", "35", "38", "39", "56", "58", "81", "83", "85"]

    static func pick<T>(_ a: [T], _ g: inout SplitMix) -> T { a[Int(g.next() % UInt64(a.count))] }

    static func write(_ url: URL, header: String, count: Int, _ line: (Int) -> String) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let h = try FileHandle(forWritingTo: url)
        defer { try? h.close() }
        var buffer = header + "\n"
        for i in 0..<count {
            buffer += line(i) + "\n"
            if buffer.utf8.count > 1 << 20 { h.write(Data(buffer.utf8)); buffer = "" }
        }
        h.write(Data(buffer.utf8))
    }

    public static func customers(_ n: Int, to url: URL, _ g: inout SplitMix) throws {
        try write(url, header: "id,full_name,gender,phone,email,birthday,zalo_user_id,tier,opt_out", count: n) { i in
            let isFemale = g.next() % 10 < 7
            let middle = isFemale ? "Thị" : "Văn"
            let name = "\(pick(families, &g)) \(middle) \(pick(isFemale ? female : male, &g))"
            let phone = "0\(pick(mobile, &g))\(String(format: "%07d", i % 10_000_000))"
            let email = g.next() % 2 == 0 ? "kh\(i)@example.vn" : ""
            let year = 1960 + Int(g.next() % 46), doy = Int(g.next() % 365)
            let birthday = g.next() % 5 == 0 ? "" : LocalDate(year: year, month: 1, day: 1).adding(days: doy).description
            let tier = g.next() % 10 == 0 ? "Gold" : "Standard"
            let roll = g.next() % 100
            let optOut = roll < 8 ? "marketing" : roll < 10 ? "all" : "none"
            return "C\(i),\(name),\(isFemale ? "female" : "male"),\(phone),\(email),\(birthday),,\(tier),\(optOut)"
        }
    }

    /// Orders over the 30 days before `end`, at realistic hours (most by day, a few at night);
    /// 30% cash on delivery; most prepaid orders paid within hours, delivered days later; the
    /// unpaid ones older than a day expired.
    public static func orders(_ n: Int, customers: Int, endingOn end: LocalDate, to url: URL, _ g: inout SplitMix) throws {
        let hourWeights = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 9, 8, 8, 8, 7, 6, 6, 7, 8, 8, 6, 3]
        let hours = hourWeights.enumerated().flatMap { h, w in Array(repeating: h, count: w) }
        let base = (end.daysSinceEpoch - 30) * 86_400 - 7 * 3600
        func iso(_ t: Int) -> String {
            let d = LocalDate(daysSinceEpoch: (t + 7 * 3600) / 86_400), s = (t + 7 * 3600) % 86_400
            return String(format: "%@T%02d:%02d:%02d+07:00", d.description, s / 3600, s % 3600 / 60, s % 60)
        }
        try write(url, header: "id,customer_id,placed_at,amount,payment_method,status,paid_at,delivered_at,items,agent", count: n) { i in
            let day = Int(g.next() % 31), hour = pick(hours, &g), minute = Int(g.next() % 60)
            let placed = base + day * 86_400 + hour * 3600 + minute * 60
            let amount = (Int(g.next() % 300) + 5) * 10_000
            let cod = g.next() % 10 < 3
            let roll = g.next() % 100
            var status = "pending", paid = "", delivered = ""
            if cod {
                if roll < 70 { status = "delivered"; delivered = iso(placed + 86_400 * (1 + Int(g.next() % 4))); paid = delivered }
            } else if roll < 75 {
                let p = placed + 600 + Int(g.next() % 20_000)
                paid = iso(p)
                status = "paid"
                if g.next() % 2 == 0 { status = "delivered"; delivered = iso(p + 86_400 * (1 + Int(g.next() % 4))) }
            } else if roll < 80 {
                status = "cancelled"
            } else if placed + 86_400 <= base + 30 * 86_400 {
                // A shop that ran carecron (or anything) before has expired its old unpaid orders;
                // left pending, each planning step would expire them all at its first instant.
                status = "expired"
            }
            let agent = g.next() % 4 == 0 ? pick(["Mai", "Hương", "Tùng"], &g) : ""
            return "O\(i),C\(Int(g.next() % UInt64(customers))),\(iso(placed)),\(amount),\(cod ? "cod" : "prepaid"),\(status),\(paid),\(delivered),\(pick(items, &g)),\(agent)"
        }
    }
}

