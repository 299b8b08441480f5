import CarecronDomain
import CarecronStorage
import Foundation

/// What a message's stored error means for the person looking at it, and what to do: the
/// provider's raw answer stays in the outbox for the record; this is what the console shows
/// above it. `permanent`: retrying the message as it is cannot help (no retry button).
public struct FailureMeaning: Sendable, Equatable {
    public let sentence: Sentence
    public let permanent: Bool

    /// Read from the shapes the dispatcher, the senders and `StillWanted` write (one codebase:
    /// the prefixes below are theirs).
    public static func of(_ m: OutboxMessage) -> FailureMeaning? {
        guard let error = m.lastError, !error.isEmpty, m.state != .sent else { return nil }
        if m.state == .cancelled {
            let parts = error.components(separatedBy: "; ").map { part in
                Catalogue.recognise(part, families: ["cancel.", "skip.order_withdrawn"]) ?? Sentence("failure.raw", ["text": .text(part)])
            }
            return FailureMeaning(sentence: Sentence("failure.cancelled", ["why": .sentences(parts)]), permanent: true)
        }
        let lower = error.lowercased()
        let channel = m.rendering.channel
        func says(_ words: String...) -> Bool { words.contains { lower.contains($0) } }
        if error.hasPrefix("no sender for channel") {
            return FailureMeaning(sentence: Sentence("failure.no_sender", ["channel": .text(channel)]), permanent: false)
        }
        if error.hasPrefix("sender "), says("stopped:", "unavailable:") { return FailureMeaning(sentence: Sentence("failure.sender_stopped"), permanent: false) }
        // Planned again (after a fallback to the next channel), held or on its way: what failed
        // before is not what it is now; its page keeps the error for the record.
        guard m.state == .dead || m.state == .failed else { return nil }
        if error.hasPrefix("configuration:") {
            return FailureMeaning(sentence: Sentence(says("template") ? "failure.template" : "failure.configuration"), permanent: false)
        }
        // The recipient's address, whatever the gateway's words for it: eSMS "Phone not valid",
        // Zalo -108, SpeedSMS "invalid phone", Vietnamese gateways' own words.
        if says("phone not valid", "invalid phone", "phone number is invalid", "phone invalid", "zalo -108", "không hợp lệ", "sai số") {
            return FailureMeaning(sentence: Sentence("failure.phone_invalid"), permanent: true)
        }
        if error.contains("zalo.params: ") { return FailureMeaning(sentence: Sentence("failure.zalo_param_long"), permanent: true) }
        if says("zalo -118", "zalo -119") { return FailureMeaning(sentence: Sentence("failure.no_zalo"), permanent: true) }
        if let n = attempts(error) { return FailureMeaning(sentence: Sentence("failure.gave_up", ["attempts": .number(n)]), permanent: false) }
        if error.hasPrefix("outcome unknown") { return FailureMeaning(sentence: Sentence("failure.unknown_outcome"), permanent: false) }
        if says("quota") { return FailureMeaning(sentence: Sentence("failure.quota"), permanent: false) }
        if m.state == .failed { return FailureMeaning(sentence: Sentence("failure.temporary"), permanent: false) }
        // Dead without a transient cause: the provider refused this recipient on every channel.
        if channel == ChannelKind.email.rawValue { return FailureMeaning(sentence: Sentence("failure.email_refused"), permanent: true) }
        return FailureMeaning(sentence: Sentence("failure.recipient_refused"), permanent: true)
    }

    /// "gave up after 6 attempts: …" → 6.
    static func attempts(_ error: String) -> Int? {
        guard error.hasPrefix("gave up after ") else { return nil }
        return Int(error.dropFirst("gave up after ".count).prefix { $0.isNumber })
    }
}
