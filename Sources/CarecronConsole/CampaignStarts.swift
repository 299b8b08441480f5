import CarecronDomain
import Foundation

/// The starting points of a new campaign: the shop's own campaign files of each occasion (Tết,
/// Trung thu, 8/3, 20/10, win-back) and a blank one, each copied under the new name, switched
/// off until the marketer enables it in the form.
enum CampaignStarts {
    struct Start: Encodable {
        let id: String
        let label: String
        let file: String?
    }

    static let occasions: [(id: String, file: String?, label: Said)] = [
        ("tet", "tet-greeting", Said("Tết Nguyên đán (mùng 1/1 âm lịch)", "Tết, the lunar new year (lunar 1/1)")),
        ("mid-autumn", "mid-autumn", Said("Trung thu (15/8 âm lịch)", "Mid-autumn (lunar 15/8)")),
        ("womens-day-0803", "womens-day-0803", Said("Quốc tế Phụ nữ 8/3", "International Women's Day, 8 March")),
        ("womens-day-2010", "womens-day-2010", Said("Phụ nữ Việt Nam 20/10", "Vietnamese Women's Day, 20 October")),
        ("win-back", "win-back", Said("Mời khách lâu chưa mua quay lại", "Win back customers who stopped buying")),
        ("blank", nil, Said("Trống", "Blank")),
    ]

    static func list(_ language: Language) -> [Start] {
        occasions.map { Start(id: $0.id, label: $0.label.text(language), file: $0.file) }
    }

    /// A blank campaign: everyone who takes advertising, on a date to choose, one SMS.
    static let blank = JSONValue.ordered([
        ("type", .string("campaign")), ("description", .string("")), ("enabled", .bool(false)), ("purpose", .string("marketing")),
        ("channels", .array([.string("sms")])), ("duringQuietHours", .string("drop")), ("audience", .object([])),
        ("when", .ordered([("dates", .array([.string("12-12")])), ("time", .string("09:00"))])), ("spread", .string("2h")),
        ("templates", .array([.ordered([
            ("text", .string("[QC] {{shop.name}} gửi {{customer.salutation}} ưu đãi …\n{{optOut}}")),
            ("sms", .ordered([("text", .string("[QC] {{shop.name}} gui {{customer.salutation}} uu dai …\n{{optOut}}")), ("unaccented", .bool(true))])),
        ])])),
    ])

    /// The new file's JSON from a start: the occasion's file as the shop has it, switched off,
    /// without its comment; nil when the shop has no such file.
    static func json(for id: String, jobs folder: URL) -> JSONValue? {
        guard let start = occasions.first(where: { $0.id == id }) else { return nil }
        guard let file = start.file else { return blank }
        guard let text = try? String(contentsOf: folder.appendingPathComponent("\(file).json"), encoding: .utf8),
              let json = try? JSONReader.parse(Data(text.utf8)) else { return nil }
        return json.setting(["$comment"], to: nil).setting(["enabled"], to: .bool(false))
    }
}
