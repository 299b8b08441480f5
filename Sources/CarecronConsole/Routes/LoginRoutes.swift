import CarecronConfig
import Foundation
import Hummingbird

/// The login form and logging out. Failures are counted per user and per address, and past
/// their share refused outright (429, Retry-After); the password is checked off the request threads.
struct LoginRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = RouteCollection(context: ConsoleContext<Parent>.self)
        routes.get("login") { request, context in
            if console.users.isEmpty { return Console.redirect(to: "/console/plan", keeping: request) }
            return console.views.page("login", EmptyModel(), language: Views.language(request), session: context.session)
        }
        routes.post("login") { request, context in try await login(request, context) }
        routes.add(middleware: SignedIn<Parent>(users: console.users))
        routes.add(middleware: PostedForm<Parent>(views: console.views))
        routes.post("logout") { request, context in
            context.sessions.clearSession()
            return Console.redirect(to: "/console/login", keeping: request)
        }
        return routes
    }

    func login(_ request: Request, _ context: ConsoleContext<Parent>) async throws -> Response {
        let views = console.views, logins = console.logins
        let form = try await Console.form(request)
        let language = Views.language(request)
        // A name longer than any user's is cut: it only keys the counts and the log lines.
        let user = String((form["user"] ?? "").prefix(128)), address = context.peer ?? "unknown"
        // Real time, not the console's clock: under `console --at` that one stands still.
        switch await logins.admit(user: user, address: address, now: Date()) {
        case .refused(let until, let first):
            if first {
                context.logger.warning("console logins refused: too many failures", metadata: [
                    "user": "\(user)", "address": "\(address)", "until": "\(ISO8601DateFormatter().string(from: until))"])
            }
            let minutes = max(1, Int((until.timeIntervalSinceNow / 60).rounded(.up)))
            let model = LoginModel(limited: views.scheduleWords(language).word("login_limited", ["minutes": String(minutes)]), name: user)
            var response = views.page("login", model, language: language, session: nil, status: .tooManyRequests)
            response.headers[.retryAfter] = String(max(1, Int(until.timeIntervalSinceNow.rounded(.up))))
            return response
        case .admitted:
            break
        }
        let role: ConsoleSettings.Role?
        do { role = try await console.users.verify(user: user, password: form["password"] ?? "") } catch {
            await logins.abandon(user: user, address: address)
            throw error
        }
        await logins.finish(user: user, address: address, succeeded: role != nil, now: Date())
        guard let role else {
            context.logger.notice("console login failed", metadata: ["user": "\(user)", "address": "\(address)"])
            return views.page("login", LoginModel(failed: true, name: user), language: language, session: nil, status: .unauthorized)
        }
        context.sessions.createSession(ConsoleSession(user: user, role: role, csrf: Console.token()))
        if role == .agent { return Console.redirect(to: "/console/calls", keeping: request) }
        return Console.redirect(to: "/console/plan", keeping: request)
    }
}
