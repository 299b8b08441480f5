import CarecronDelivery
import CarecronDomain
import CarecronStorage
import Foundation
import Hummingbird

/// `/v1/campaigns/NAME` (bearer token): an occasion's figures, and pause, resume, cancel, as
/// `carecron campaign` does them. Each acts on the occasion under way, else the next one.
struct CampaignRoutes {
    let api: APIShared
    let token: String

    struct Body: ResponseEncodable {
        let value: JSONValue
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self).add(middleware: BearerAuth(token: token))
        routes.get("/campaigns/:name") { _, context in
            let (control, name) = try await control(context)
            let (o, s) = try await attempt { try await control.status(name, at: api.clock.now()) }
            return Body(value: CampaignReport(o, s).json)
        }
        routes.post("/campaigns/:name/pause") { _, context in
            let (control, name) = try await control(context)
            let (o, run) = try await attempt { try await control.pause(name, now: api.clock.now(), by: "api") }
            guard run.state == .paused else { throw APIError(.conflict, field: "state", "\(o.id) is \(run.state.rawValue): nothing to pause") }
            return try await report(control, name)
        }
        routes.post("/campaigns/:name/resume") { _, context in
            let (control, name) = try await control(context)
            let (o, run) = try await attempt { try await control.resume(name, now: api.clock.now(), by: "api") }
            if let run, run.state != .writing { throw APIError(.conflict, field: "state", "\(o.id) is \(run.state.rawValue): nothing to resume") }
            await api.wakeup.ring()
            return try await report(control, name)
        }
        routes.post("/campaigns/:name/cancel") { _, context in
            let (control, name) = try await control(context)
            _ = try await attempt { try await control.cancel(name, now: api.clock.now(), by: "api") }
            return try await report(control, name)
        }
        return routes
    }

    func control(_ context: APIRequestContext) async throws -> (CampaignControl, String) {
        let name = try context.pathParameter("name")
        let rt = await api.runtime.current
        return (CampaignControl(store: api.store, config: rt.config, jobs: rt.jobs), name)
    }

    func report(_ control: CampaignControl, _ name: String) async throws -> Body {
        let (o, s) = try await attempt { try await control.status(name, at: api.clock.now()) }
        return Body(value: CampaignReport(o, s).json)
    }

    /// The campaign's failures as API errors: 404 for an unknown name, 409 for a job of another type or past dates.
    func attempt<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let f as CampaignControl.Failure {
            switch f {
            case .unknown: throw APIError(.notFound, field: "name", f.description)
            case .notACampaign, .noOccasion: throw APIError(.conflict, field: "name", f.description)
            }
        }
    }
}
