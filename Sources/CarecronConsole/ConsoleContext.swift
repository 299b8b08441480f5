import Foundation
import Hummingbird
import HummingbirdAuth

/// Who is logged in, with what role, and the token every form of theirs carries.
public struct ConsoleSession: Codable, Sendable {
    public var user: String
    public var role: String
    /// The anti-forgery token: a form posted without it (from another site) is refused.
    public var csrf: String
}

/// The console's request context, a child of whatever context the server's router uses (the
/// API's, or a plain one for `carecron console`): the API's routes never see a session.
public struct ConsoleContext<Parent: RequestContext>: ChildRequestContext, SessionRequestContext {
    public typealias Session = ConsoleSession
    public var coreContext: CoreRequestContextStorage
    public let sessions: SessionContext<ConsoleSession>

    public init(context: Parent) throws {
        self.coreContext = context.coreContext
        self.sessions = SessionContext()
    }

    /// The logged-in user's session, if any.
    var session: ConsoleSession? { sessions.session }
}
