import Foundation
import Mustache

/// What a page's template is rendered from: a struct whose properties are the template's names,
/// checked by the compiler (and `Encodable`, so a page can be read as JSON too). A property that
/// is nil is absent: the template looks the name up in the enclosing context, as Mustache does.
protocol PageModel: Encodable, Sendable {}

/// The page's model inside what every page has: `t` (the words of its language), `lang`, and for
/// a signed-in user `user`, `role`, `csrf` and `editor`.
struct PageFrame<Model: PageModel>: MustacheParent {
    let model: Model
    let t: [String: String]
    let lang: String
    let session: ConsoleSession?

    func child(named name: String) -> Any? {
        let framed: Any? = switch name {
        case "t": t
        case "lang": lang
        case "user": session?.user
        // The role as the page's language says it ("biên tập"), its code when a page has no word for it.
        case "role": session.map { t["role_\($0.role.rawValue)"] ?? $0.role.rawValue }
        case "csrf": session?.csrf
        case "editor": session.map { $0.role == .editor }
        // The care team's menu: their calls, the replies and the search, not the marketers' pages.
        case "agentRole": session.map { $0.role == .agent }
        // Records complaints, answers customers: the care team and editors.
        case "careActs": session.map { $0.role != .viewer }
        default: nil
        }
        return framed ?? PageFrameLookup.property(name, of: model)
    }
}

enum PageFrameLookup {
    /// A name of a model: its own lookup if it has one, else its stored property of that name
    /// (an Optional's value, or nil).
    static func property(_ name: String, of object: Any) -> Any? {
        if let parent = object as? MustacheParent { return parent.child(named: name) }
        guard let value = Mirror(reflecting: object).children.first(where: { $0.label == name })?.value else { return nil }
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first?.value
    }
}

/// A page with nothing of its own (the login form).
struct EmptyModel: PageModel {}

/// Something asked for that does not exist.
struct NotFoundModel: PageModel {
    let what: String
}

/// A refusal: its title and the one sentence that says why.
struct RefusalModel: PageModel {
    let title: String
    let reason: String
}

/// The login form, after a failure or while refused.
struct LoginModel: PageModel {
    var failed: Bool?
    var limited: String?
    var name: String?
}

/// The audit log, newest first.
struct AuditModel: PageModel {
    struct Entry: Encodable {
        let at: String
        let user: String
        let action: String
        let subject: String
        let detail: String
    }

    let entries: [Entry]
}

/// The customers a search found.
struct SearchModel: PageModel {
    struct Match: Encodable {
        let id: String
        let name: String
        let phone: String
        let email: String
        let matched: String
    }

    let query: String
    let none: Bool
    let matches: [Match]
}

/// An option of a select: its value, what it says, and whether it is the one chosen.
struct Choice: Encodable {
    let value: String
    let label: String
    let selected: Bool
}

/// A figure with what it counts ("đã gửi: 12").
struct LabelledCount: Encodable {
    let label: String
    let count: Int
}
