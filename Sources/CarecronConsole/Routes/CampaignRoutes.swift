import CarecronDelivery
import CarecronDomain
import Foundation
import HTTPTypes
import Hummingbird

/// The campaigns, one campaign's preview, and (for editors, after a confirmation) pausing,
/// resuming and cancelling its occasion at hand: the same `CampaignControl` as the CLI and the
/// API, so the jobs page, the plan and the audit log show the change at once.
struct CampaignRoutes<Parent: RequestContext> {
    let console: Console

    enum Action: String, CaseIterable {
        case pause, resume, cancel
    }

    var routes: RouteCollection<ConsoleContext<Parent>> {
        let routes = console.signedInRoutes(Parent.self)
        let environment = console.environment, views = console.views
        routes.get("campaigns") { request, context in
            let (config, jobs) = await environment.current()
            let language = Views.language(request), words = views.scheduleWords(language)
            var model = try await CampaignsPage(config: config, jobs: jobs, store: environment.store, words: words).model(now: environment.clock.now())
            let parameters = Console.parameters(request)
            if let done = parameters["done"], let name = parameters["name"], Action(rawValue: done) != nil || done.hasSuffix("_refused") {
                model.done = words.word("campaign_done_\(done)", ["name": name])
            }
            return views.page("campaigns", model, language: language, session: try context.signedIn)
        }
        // A new campaign from a starting point (editors create; anyone sees the page).
        routes.get("campaigns/new") { request, context in
            try await newCampaign(request, context, problem: nil, status: .ok)
        }
        routes.get("campaigns/:name") { request, context in try await detail(request, context, confirming: nil) }
        // The live count: who the occasion at hand takes, and who matches but opted out (a fragment).
        routes.get("campaigns/:name/audience") { request, context in
            let name = try context.parameters.require("name")
            let (config, jobs) = await environment.current()
            let words = views.scheduleWords(Views.language(request))
            guard let (_, count) = try? await CampaignControl(store: environment.store, config: config, jobs: jobs).count(name, at: environment.clock.now()) else {
                return console.notFound(name, Views.language(request), try context.signedIn)
            }
            let html = "<p class=\"count\"><strong id=\"audience-count\">\(count.members)</strong> \(words.word("campaign_count_members")) · "
                + "<span id=\"opted-out-count\">\(count.optedOut)</span> \(words.word("campaign_count_opted_out"))</p>"
            var response = Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
            Views.secure(&response.headers)
            return response
        }
        routes.get("campaigns/:name/:action") { request, context in
            try await detail(request, context, confirming: Action(rawValue: try context.parameters.require("action")))
        }
        routes.add(middleware: PostedForm<Parent>(views: views))
        routes.add(middleware: EditorsOnly<Parent>(views: views))
        routes.post("campaigns/new") { request, context in
            let name = (context.form["name"] ?? "").trimmingCharacters(in: .whitespaces), start = context.form["start"] ?? ""
            let (config, _) = await environment.current()
            let words = views.scheduleWords(Views.language(request))
            guard JobFiles.isValidName(name), name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                return try await newCampaign(request, context, problem: words.word("campaign_new_bad_name", ["name": name]), status: .unprocessableContent)
            }
            guard let json = CampaignStarts.json(for: start, jobs: config.jobsFolder) else {
                return try await newCampaign(request, context, problem: nil, status: .unprocessableContent)
            }
            guard try await JobFiles(folder: config.jobsFolder).create(name, text: json.pretty) else {
                return try await newCampaign(request, context, problem: words.word("campaign_new_taken", ["name": name]), status: .conflict)
            }
            try await console.audit(try context.signedIn, "campaign create", "jobs/\(name).json", Sentence("audit.created_from", ["start": .text(start)]))
            await environment.reload()
            return Console.redirect(to: "/console/jobs/\(name)/form", keeping: request)
        }
        routes.post("campaigns/:name/:action") { request, context in
            let name = try context.parameters.require("name")
            guard let action = Action(rawValue: try context.parameters.require("action")) else {
                return console.notFound(name, Views.language(request), try context.signedIn)
            }
            let (config, jobs) = await environment.current()
            let control = CampaignControl(store: environment.store, config: config, jobs: jobs)
            let now = environment.clock.now(), user = try context.signedIn.user
            let done: Bool
            do {
                switch action {
                case .pause: done = try await control.pause(name, now: now, by: user).1.state == .paused
                case .resume:
                    let run = try await control.resume(name, now: now, by: user).1
                    done = run == nil || run?.state == .writing
                case .cancel:
                    _ = try await control.cancel(name, now: now, by: user)
                    done = true
                }
            } catch is CampaignControl.Failure {
                return console.notFound(name, Views.language(request), try context.signedIn)
            }
            if done { await environment.outboxChanged() }
            let outcome = done ? action.rawValue : "\(action.rawValue)_refused"
            return Console.redirect(to: "/console/campaigns?done=\(outcome)&name=\(name)", keeping: request)
        }
        return routes
    }

    struct NewModel: PageModel {
        let starts: [CampaignStarts.Start]
        var problem: String?
    }

    func newCampaign(_ request: Request, _ context: ConsoleContext<Parent>, problem: String?, status: HTTPResponse.Status) async throws -> Response {
        let language = Views.language(request)
        var model = NewModel(starts: CampaignStarts.list(language))
        model.problem = problem
        return console.views.page("campaign-new", model, language: language, session: try context.signedIn, status: status)
    }

    func detail(_ request: Request, _ context: ConsoleContext<Parent>, confirming action: Action?) async throws -> Response {
        let environment = console.environment, views = console.views
        let name = try context.parameters.require("name")
        let (config, jobs) = await environment.current()
        let language = Views.language(request), session = try context.signedIn, words = views.scheduleWords(language)
        guard let job = jobs.first(where: { $0.name == name && $0.rules.audienceSending != nil }) else {
            return console.notFound(name, language, session)
        }
        let plan = PlanPage(config: config, jobs: jobs, store: environment.store, words: words)
        var model = try await CampaignsPage(config: config, jobs: jobs, store: environment.store, words: words)
            .detail(job, now: environment.clock.now(), plan: plan)
        if let action {
            model.confirm = action.rawValue
            model.confirmQuestion = words.word("campaign_confirm_\(action.rawValue)", ["name": name])
        }
        return views.page("campaign", model, language: language, session: session)
    }
}
