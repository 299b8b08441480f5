import CarecronConfig
import Foundation
import Hummingbird
import HummingbirdAuth
import NIOCore

/// Who is logged in, with what role, and the token every form of theirs carries.
public struct ConsoleSession: Codable, Sendable {
    public var user: String
    public var role: ConsoleSettings.Role
    /// The anti-forgery token: a form posted without it (from another site) is refused.
    public var csrf: String
}

/// The console's request context, a child of whatever context the server's router uses (the
/// API's, or a plain one for `carecron console`): the API's routes never see a session.
public struct ConsoleContext<Parent: RequestContext>: ChildRequestContext, SessionRequestContext {
    public typealias Session = ConsoleSession
    public var coreContext: CoreRequestContextStorage
    public let sessions: SessionContext<ConsoleSession>
    /// The client's IP address, when the server's context knows it: failed logins are counted
    /// per address as well as per user.
    let peer: String?

    public init(context: Parent) throws {
        self.coreContext = context.coreContext
        self.sessions = SessionContext()
        self.peer = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress
    }

    /// The logged-in user's session, if any.
    var session: ConsoleSession? { sessions.session }

    /// The signed-in user of a page behind `SignedIn` (set by it).
    var user: ConsoleSession?
    /// The posted form of a route behind `PostedForm` (read and checked by it).
    var form: [String: String] = [:]

    /// The signed-in user, which `SignedIn` guarantees to the routes behind it.
    var signedIn: ConsoleSession {
        get throws {
            guard let user else { throw HTTPError(.internalServerError, message: "a console route outside SignedIn") }
            return user
        }
    }
}
