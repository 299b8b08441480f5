import CarecronConfig
import CarecronDomain
import Foundation

/// Each job at a glance: type, purpose, whether it runs, its schedule and next runs.
struct JobsPage {
    let config: ShopConfig
    let jobs: [JobDefinition]

    func model(now: Date) -> [String: Any] {
        let clock = config.clock
        return ["jobs": jobs.map { job in
            [
                "name": job.name, "type": job.type.rawValue, "purpose": job.purpose.rawValue, "enabled": job.enabled,
                "schedule": job.schedule.description, "description": job.description,
                "channels": job.channels.map(\.rawValue).joined(separator: ", "),
                "next": job.enabled ? job.schedule.firings(after: now, count: 5, clock: clock).map { InstantFormat.format($0, clock: clock) } : [],
            ] as [String: Any]
        }]
    }
}
