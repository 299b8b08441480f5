import CarecronDomain
import CarecronStorage
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
            let session = try context.signedIn, now = environment.clock.now()
            // An agent sees their own conversations unless they ask for everyone's.
            let mine = session.role == .agent && Console.parameters(request)["all"] == nil
            var model = RepliesModel(replies: replies, followUps: followUps)
            model.waiting = try await environment.store.conversations(ConversationQuery(agent: mine ? session.user : nil))
                .map { WaitingConversation($0, roster: config.console.roster, words: words, clock: config.clock, now: now) }
            model.onlyMine = mine
            model.choosesMine = session.role == .agent
            return views.page("replies", model, language: language, session: session)
        }
        return routes
    }
}
