import CarecronDomain
import Foundation

/// A message exactly as one channel carries it: SMS with its characters, segments, encoding and
/// what forces UCS-2; email's subject, plain and HTML parts; Zalo's template and parameters.
enum MessageView {
    static func model(_ r: Rendering) -> [String: Any] {
        var m: [String: Any] = ["channel": r.channel, "to": r.to, "text": r.text]
        switch r.channel {
        case ChannelKind.sms.rawValue:
            let seg = MessageRules.smsSegments(r.text)
            let forcing = Set(MessageRules.ucs2Characters(r.text))
            m["sms"] = true
            m["characters"] = r.text.count
            m["segments"] = seg.segments
            m["encoding"] = seg.encoding.rawValue
            if !forcing.isEmpty { m["forcing"] = String(MessageRules.ucs2Characters(r.text)) }
            // The text in runs, those GSM-7 cannot carry marked, for the page to highlight.
            m["runs"] = runs(r.text, marked: forcing)
            let plain = MessageRules.unaccented(r.text)
            m["unaccented"] = plain
            m["unaccentedSegments"] = MessageRules.smsSegments(plain).segments
        case ChannelKind.email.rawValue:
            m["email"] = true
            m["subject"] = r.subject ?? ""
            if let html = r.html { m["html"] = html }
        case ChannelKind.zalo.rawValue:
            m["zalo"] = true
            m["templateId"] = r.templateId ?? ""
            m["params"] = r.params.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        default:
            m["other"] = true
        }
        return m
    }

    static func runs(_ text: String, marked: Set<Character>) -> [[String: Any]] {
        var out: [[String: Any]] = [], current = "", currentMarked = false
        for c in text {
            let isMarked = marked.contains(c)
            if isMarked != currentMarked, !current.isEmpty {
                out.append(["text": current, "marked": currentMarked])
                current = ""
            }
            currentMarked = isMarked
            current.append(c)
        }
        if !current.isEmpty { out.append(["text": current, "marked": currentMarked]) }
        return out
    }
}
