import CarecronDomain
import Foundation

/// A message exactly as one channel carries it: SMS with its characters, segments, encoding and
/// what forces UCS-2; email's subject, plain and HTML parts; Zalo's template and parameters.
struct MessageView: Encodable, Sendable {
    struct Run: Encodable, Sendable {
        let text: String
        let marked: Bool
    }

    struct Param: Encodable, Sendable {
        let name: String
        let value: String
    }

    let channel: String
    let to: String
    let text: String
    var sms: Bool?
    var characters: Int?
    var segments: Int?
    var encoding: String?
    var forcing: String?
    var runs: [Run]?
    var unaccented: String?
    var unaccentedSegments: Int?
    var email: Bool?
    var subject: String?
    var html: String?
    var zalo: Bool?
    var templateId: String?
    var params: [Param]?
    var other: Bool?

    init(_ r: Rendering) {
        channel = r.channel
        to = r.to
        text = r.text
        switch r.channel {
        case ChannelKind.sms.rawValue:
            let seg = MessageRules.smsSegments(r.text)
            let forcing = Set(MessageRules.ucs2Characters(r.text))
            sms = true
            characters = r.text.count
            segments = seg.segments
            encoding = seg.encoding.rawValue
            if !forcing.isEmpty { self.forcing = String(MessageRules.ucs2Characters(r.text)) }
            // The text in runs, those GSM-7 cannot carry marked, for the page to highlight.
            runs = Self.runs(r.text, marked: forcing)
            let plain = MessageRules.unaccented(r.text)
            unaccented = plain
            unaccentedSegments = MessageRules.smsSegments(plain).segments
        case ChannelKind.email.rawValue:
            email = true
            subject = r.subject ?? ""
            html = r.html
        case ChannelKind.zalo.rawValue:
            zalo = true
            templateId = r.templateId ?? ""
            params = r.params.sorted { $0.key < $1.key }.map { Param(name: $0.key, value: $0.value) }
        default:
            other = true
        }
    }

    static func runs(_ text: String, marked: Set<Character>) -> [Run] {
        var out: [Run] = [], current = "", currentMarked = false
        for c in text {
            let isMarked = marked.contains(c)
            if isMarked != currentMarked, !current.isEmpty {
                out.append(Run(text: current, marked: currentMarked))
                current = ""
            }
            currentMarked = isMarked
            current.append(c)
        }
        if !current.isEmpty { out.append(Run(text: current, marked: currentMarked)) }
        return out
    }
}
