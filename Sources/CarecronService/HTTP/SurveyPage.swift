import CarecronDomain
import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird

/// The survey's one-question page, as a customer sees it on a phone: in Vietnamese, one button
/// a score, no script and nothing fetched from elsewhere (it must open on any phone, at once).
enum SurveyPage {
    static func question(shop: String, measure: SurveyMeasure, orderId: String, token: String, problem: Bool) -> Response {
        let order = orderId.isEmpty ? "" : " <b>\(orderId.markupEscaped)</b>"
        let (ask, low, high): (String, String, String) = switch measure {
        case .csat: ("Bạn hài lòng thế nào với đơn hàng\(order) của \(shop.markupEscaped)?", "rất không hài lòng", "rất hài lòng")
        case .ces: ("Mua và nhận đơn hàng\(order) có dễ dàng với bạn không?", "rất khó khăn", "rất dễ dàng")
        case .nps: ("Bạn có sẵn lòng giới thiệu \(shop.markupEscaped) cho bạn bè, người thân không?", "chắc chắn không", "chắc chắn có")
        }
        let buttons = measure.scale.map { n in
            "<button type=\"submit\" name=\"score\" value=\"\(n)\" aria-label=\"\(n)\(measure == .csat ? " sao" : " điểm")\">\(n)\(measure == .csat ? "★" : "")</button>"
        }.joined()
        let body = """
            <h1>\(ask)</h1>
            \(problem ? "<p class=\"problem\" role=\"alert\">Bạn chọn giúp shop một điểm trong các nút dưới đây nhé.</p>" : "")
            <form method="post" action="/s/\(token.markupEscaped)" class="scale scale-\(measure.scale.count)">\(buttons)</form>
            <p class="ends"><span>\(measure.scale.lowerBound) = \(low)</span><span>\(measure.scale.upperBound) = \(high)</span></p>
            <p class="note">Chỉ cần chạm một lần. Cảm ơn bạn đã dành thời gian!</p>
            """
        return page(title: "Khảo sát của \(shop)", body: body, status: problem ? .badRequest : .ok)
    }

    static func thanks(shop: String, answer: SurveyAnswer, justNow: Bool) -> Response {
        let unit = answer.measure == .csat ? " sao" : " điểm"
        var body = justNow
            ? "<h1>Cảm ơn bạn!</h1><p>\(shop.markupEscaped) đã nhận điểm <b>\(answer.score)\(unit)</b> của bạn.</p>"
            : "<h1>Bạn đã trả lời khảo sát này rồi</h1><p>\(shop.markupEscaped) đã nhận điểm <b>\(answer.score)\(unit)</b> của bạn. Cảm ơn bạn!</p>"
        if answer.isLow { body += "<p>Shop rất tiếc vì bạn chưa hài lòng. Nhân viên chăm sóc khách hàng sẽ gọi lại cho bạn sớm.</p>" }
        return page(title: "Cảm ơn bạn", body: body, status: .ok)
    }

    static func notFound() -> Response {
        page(title: "Không tìm thấy khảo sát", body: "<h1>Không tìm thấy khảo sát</h1><p>Đường dẫn khảo sát không đúng hoặc không còn dùng được.</p>",
             status: .notFound)
    }

    static func page(title: String, body: String, status: HTTPResponse.Status) -> Response {
        let html = """
            <!doctype html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex"><title>\(title.markupEscaped)</title>
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:24px 16px;background:#f6f7f9;color:#1f2933}
            main{max-width:520px;margin:0 auto;background:#fff;border-radius:12px;padding:24px 20px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
            h1{font-size:1.25rem;line-height:1.4;margin:0 0 16px}
            .scale{display:grid;gap:8px;grid-template-columns:repeat(auto-fit,minmax(44px,1fr))}
            .scale-5{grid-template-columns:repeat(5,1fr)}.scale-7{grid-template-columns:repeat(7,1fr)}.scale-11{grid-template-columns:repeat(6,1fr)}
            button{min-height:48px;font-size:1.1rem;border:1px solid #c5ccd6;border-radius:8px;background:#fff;color:#1f2933}
            button:active,button:focus{background:#0b6bcb;color:#fff;outline:none}
            .ends{display:flex;justify-content:space-between;gap:12px;font-size:.85rem;color:#52606d}
            .note{color:#52606d;font-size:.9rem}.problem{color:#b42318}
            </style></head><body><main>\(body)</main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
