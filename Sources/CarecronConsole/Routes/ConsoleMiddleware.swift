import CarecronConfig
import Foundation
import HTTPTypes
import Hummingbird

/// Pages for signed-in users only: anyone else is sent to the login form. With no user
/// configured (a loopback-only console), every visitor is the local editor.
struct SignedIn<Parent: RequestContext>: RouterMiddleware {
    typealias Context = ConsoleContext<Parent>
    let users: ConsoleUsers

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let session = Self.session(context, users: users) else { return Console.redirect(to: "/console/login", keeping: request) }
        var context = context
        context.user = session
        return try await next(request, context)
    }

    static func session(_ context: Context, users: ConsoleUsers) -> ConsoleSession? {
        if let session = context.session { return session }
        guard users.isEmpty else { return nil }
        let local = ConsoleSession(user: "local", role: .editor, csrf: Console.token())
        context.sessions.createSession(local)
        return local
    }
}

/// A form post carrying the session's token: a form without it did not come from the console's
/// own page. The form is read here, once (a request's body can be read only once), for the
/// routes behind. Behind `SignedIn`.
struct PostedForm<Parent: RequestContext>: RouterMiddleware {
    typealias Context = ConsoleContext<Parent>
    let views: Views

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let session = try context.signedIn
        let language = Views.language(request)
        var context = context
        context.form = try await Console.form(request)
        guard let token = context.form["csrf"], Console.same(token, session.csrf) else {
            return views.refusal("refused_csrf", language: language, session: session, status: .forbidden)
        }
        return try await next(request, context)
    }
}

/// Actions that change things: editors only (a viewer may check a file, not save it). Behind
/// `SignedIn` and `PostedForm`.
struct EditorsOnly<Parent: RequestContext>: RouterMiddleware {
    typealias Context = ConsoleContext<Parent>
    let views: Views

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let session = try context.signedIn
        guard session.role == .editor else {
            return views.refusal("refused_role", language: Views.language(request), session: session, status: .forbidden)
        }
        return try await next(request, context)
    }
}
