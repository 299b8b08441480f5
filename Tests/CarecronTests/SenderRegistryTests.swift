import CarecronConfig
@testable import CarecronDelivery
import CarecronDomain
import Foundation
import Testing

/// Senders as plug-ins (issue 25): each type declares its keys and how it is built; the registry
/// lists them, and config.json is checked against it.
@Suite("Sender registry")
struct SenderRegistryTests {
    @Test func everyTypeIsRegisteredOnceWithItsChannel() {
        #expect(SenderRegistry.catalog.types == ["console", "exec", "file", "sms-http", "smtp", "webhook", "zalo-zns"])
        #expect(Set(SenderRegistry.plugins.map { $0.schema.type }).count == SenderRegistry.plugins.count)
        let channels = SenderRegistry.catalog.schemas.mapValues(\.channel)
        #expect(channels["smtp"] == .email && channels["zalo-zns"] == .zalo && channels["webhook"] == .webhook && channels["sms-http"] == .sms)
        for plugin in SenderRegistry.plugins {
            #expect(Set(plugin.schema.keys).isDisjoint(with: plugin.schema.secrets), "\(plugin.schema.type): a secret is never a plain key")
        }
    }

    @Test func aConfigurationIsCheckedAgainstTheCatalogItIsGiven() throws {
        let folder = try TestSupport.shopFolder()
        try TestSupport.editConfig(folder) {
            $0["senders"] = ["pager": ["type": "pager", "url": "http://127.0.0.1:1/"], "console": ["type": "console"]]
            $0["channels"] = ["sms": "console"]
        }
        let file = folder.appendingPathComponent("config.json")
        let known = ConfigLoader.load(file)
        #expect(known.diagnostics.contains { $0.message.contains("unknown sender type \"pager\"") })
        // A catalog with a pager: the same file loads, the pager's keys checked by its schema.
        let pager = SenderSchema(type: "pager", keys: ["url"])
        let extended = ConfigLoader.load(file, senders: SenderCatalog(SenderRegistry.plugins.map { $0.schema } + [pager]))
        #expect(!extended.diagnostics.contains { $0.message.contains("pager") }, "\(extended.diagnostics)")
        #expect(extended.config?.senders["pager"]?.channel == .sms)
    }
}
