import CarecronDomain
import Foundation

/// One occasion of a campaign as the running service writes it: how far its audience has
/// reached the outbox (`cursor`, the last customer id written), and what it found.
public struct CampaignRun: Sendable, Equatable {
    public enum State: String, Sendable {
        case writing, paused, cancelled
    }

    public var id: String
    public var job: String
    public var occasion: String
    public var state: State
    /// The whole audience is in the outbox.
    public var complete = false
    /// The spread's first instant (when the service began writing it), and the last instant to send.
    public var baseAt: Date?
    public var deadlineAt: Date?
    /// The audience when writing began (members), and who matched but opted out.
    public var audience = 0
    public var optedOut = 0
    public var cursor: String?
    /// Customers of the audience taken so far, and the messages they gave.
    public var written = 0
    public var planned = 0
    /// Customers who got nothing, by `SkipCategory`.
    public var skipped: [String: Int] = [:]
    public var pausedAt: Date?

    public init(id: String, job: String, occasion: String, state: State) {
        self.id = id
        self.job = job
        self.occasion = occasion
        self.state = state
    }
}

/// A campaign's figures for `campaign status`: its run, and its messages by state.
public struct CampaignStatus: Sendable, Equatable {
    public var run: CampaignRun?
    public var messages: [OutboxState: Int]

    public init(run: CampaignRun?, messages: [OutboxState: Int]) {
        self.run = run
        self.messages = messages
    }
}

/// Campaigns' audiences, their runs and their messages in the outbox (issue 13).
public protocol CampaignStore: Sendable {
    /// Up to `limit` members of an audience after the id `cursor`, in id order.
    func audience(_ request: AudienceRequest, after cursor: String?, limit: Int) async throws -> [CustomerSnapshot]
    func audienceCount(_ request: AudienceRequest) async throws -> AudienceCount
    func campaignRun(_ id: String) async throws -> CampaignRun?
    /// Creates the run unless one exists (paused or cancelled ahead of time); the stored one.
    func beginCampaignRun(_ run: CampaignRun, now: Date) async throws -> CampaignRun
    /// Writes a page of messages and the run's progress in one transaction: a crash leaves both
    /// or neither, so a restart takes up exactly where the outbox stands. How many were added.
    func writeCampaignPage(_ entries: [OutboxEntry], run: CampaignRun, now: Date) async throws -> Int?
    /// Holds the occasion's unsent messages (`paused`), or notes the pause ahead of its start.
    func pauseCampaign(_ run: CampaignRun, now: Date) async throws -> CampaignRun
    /// Sends them again, each later by as long as the pause lasted (never past its deadline:
    /// the dispatcher cancels what is too late).
    func resumeCampaign(_ id: String, now: Date) async throws -> CampaignRun?
    /// Drops the unsent messages (`cancelled`) and stops writing; how many were dropped.
    func cancelCampaign(_ run: CampaignRun, now: Date) async throws -> Int
    func campaignStatus(_ id: String) async throws -> CampaignStatus
    /// When each of these customers has advertising in [from, to) in the outbox, other than this
    /// occasion's own: what the cap weighs a campaign's message against.
    func advertisingTimes(customerIds: [String], from: Date, to: Date, excluding campaign: String) async throws -> [String: [Date]]
}
