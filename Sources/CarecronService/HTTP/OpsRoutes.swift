import CarecronStorage
import Foundation
import HTTPTypes
import Hummingbird

/// For ops: liveness, readiness with its reasons, Prometheus metrics. No token.
struct OpsRoutes {
    let api: APIShared

    struct Status: ResponseEncodable {
        let status: String
    }

    struct Readiness: ResponseEncodable {
        let status: String
        var jobs: String?
        var configLoadedAt: String?
        var reason: String?
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get("/healthz") { _, _ in Status(status: "ok") }
        routes.get("/readyz") { _, _ -> WithStatus<Readiness> in
            let problems = await api.health.problems(store: api.store, runtime: api.runtime)
            guard problems.isEmpty else {
                return WithStatus(status: .serviceUnavailable, body: Readiness(status: "not ready", reason: problems.joined(separator: "; ")))
            }
            let rt = await api.runtime.current
            return WithStatus(status: .ok, body: Readiness(status: "ready", jobs: "\(rt.jobs.count)",
                                                           configLoadedAt: ISO8601DateFormatter().string(from: rt.loadedAt)))
        }
        routes.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: Metrics.emit())))
        }
        return routes
    }
}
