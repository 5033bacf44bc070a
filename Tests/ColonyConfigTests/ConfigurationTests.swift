import ColonyWire
import Foundation
import ColonyYAML
import ColonyConfig
import Testing

@Suite struct ConfigurationTests {
    @Test func parsesEveryBrokerSetting() throws {
        let text = """
        broker:
          endpoint: tcp://127.0.0.1:7000
          heartbeat_interval: 500ms
          heartbeat_liveness: 5
          request_expiry: 2m
          failed_run_capacity: 500
          failed_run_ttl: 10m
        log:
          format: json
        """
        let configuration = try ColonyConfiguration.parse(text, file: "c.yaml")
        #expect(configuration.broker.endpoints.requests == "tcp://127.0.0.1:7000")
        #expect(configuration.broker.endpoints.subscribe == "tcp://127.0.0.1:7002")
        #expect(configuration.broker.heartbeatInterval == .milliseconds(500))
        #expect(configuration.broker.liveness == 5)
        #expect(configuration.broker.requestExpiry == .seconds(120))
        #expect(configuration.broker.failedRunCapacity == 500 && configuration.broker.failedRunTimeToLive == .seconds(600))
        #expect(configuration.logFormat == "json")
    }

    @Test func unknownKeysNameTheLineAndTheLikelyKey() {
        let text = "broker:\n  endpoint: tcp://127.0.0.1:1\n  heartbeat_intervl: 1s\n"
        #expect {
            try ColonyConfiguration.parse(text, file: "c.yaml")
        } throws: { error in
            let error = error as? ConfigError
            return error?.line == 3 && error?.hint == "did you mean 'heartbeat_interval'?" && error?.file == "c.yaml"
        }
    }

    @Test func badValuesAreLocated() {
        #expect(throws: ConfigError.self) { try ColonyConfiguration.parse("broker:\n  request_expiry: soon\n", file: "c.yaml") }
        #expect(throws: ConfigError.self) { try ColonyConfiguration.parse("log:\n  format: xml\n", file: "c.yaml") }
        #expect(throws: ConfigError.self) { try ColonyConfiguration.parse("broker: [1, 2]\n", file: "c.yaml") }
        #expect(throws: ConfigError.self) { try ColonyConfiguration.parse("broker:\n  endpoint: [\n", file: "c.yaml") }
    }

    @Test func durations() {
        #expect(parseDuration("250ms") == .milliseconds(250))
        #expect(parseDuration("2.5s") == .milliseconds(2500))
        #expect(parseDuration("5m") == .seconds(300))
        #expect(parseDuration("1h") == .seconds(3600))
        #expect(parseDuration("0") == .zero)
        for refused in ["3", "1.5", "s", "-1s", "infs", "nans", "1e300s", "5 parsecs", "", "fast"] {
            #expect(parseDuration(refused) == nil, "a duration needs a unit: \(refused)")
        }
    }

    @Test func theShippedConfigurationIsValid() throws {
        let configuration = try ColonyConfiguration.load(path: "configs/colony.yaml")
        #expect(configuration.broker.endpoints.requests == "tcp://127.0.0.1:5555")
        // Every value it writes is the built-in default.
        #expect(configuration.broker.eventJournal == EventJournalSettings())
    }

    @Test func theEventJournalIsBesideTheDatabaseUnlessToldOtherwise() throws {
        let automatic = EventJournalSettings()
        #expect(automatic.resolved(besideDatabase: ".colony/colony.sqlite").location == .directory(".colony/events"))
        #expect(automatic.resolved(besideDatabase: nil).location == .memory)
        #expect(EventJournalSettings(location: .memory).resolved(besideDatabase: "x/db").location == .memory)
        #expect(EventJournalSettings.Location("/var/colony/events") == .directory("/var/colony/events"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString.prefix(8)).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "broker:\n  event_journal: memory\n  event_journal_max_events: 0\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try ColonyConfiguration.load(path: file.path) }
    }
}
