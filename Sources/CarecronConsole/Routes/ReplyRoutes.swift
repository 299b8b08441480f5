import CarecronDomain
import Foundation
import Hummingbird

/// *Tin khách trả lời*: customers' replies, newest first, and above them the low survey scores
/// to call back about.
struct ReplyRoutes<Parent: RequestContext> {
    let console: Console

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("replies") { request, context in
            let (config, _) = await environment.current()
            let language = Views.language(request)
            let words = views.scheduleWords(language)
            let replies = try await environment.store.replies(customerId: nil, limit: 500)
                .map { RepliesModel.Reply($0, words: words, clock: config.clock) }
            let followUps = try await environment.store.lowScores(limit: 50).map { RepliesModel.FollowUp($0, words: words, clock: config.clock) }
            return views.page("replies", RepliesModel(replies: replies, followUps: followUps), language: language, session: try context.signedIn)
        }
        return routes
    }
}
