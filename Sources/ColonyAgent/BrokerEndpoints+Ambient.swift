import ColonyWire
import Foundation

extension BrokerEndpoints {
    /// The endpoints `colony up` gives its agents (`COLONY_ENDPOINT`, `COLONY_PUBLISH_ENDPOINT`,
    /// `COLONY_SUBSCRIBE_ENDPOINT`), else the defaults.
    public static var ambient: BrokerEndpoints {
        let environment = ProcessInfo.processInfo.environment
        guard let requests = environment["COLONY_ENDPOINT"], !requests.isEmpty else { return .defaults }
        return BrokerEndpoints(requests: requests, publish: environment["COLONY_PUBLISH_ENDPOINT"], subscribe: environment["COLONY_SUBSCRIBE_ENDPOINT"])
    }
}

extension AgentOptions {
    /// The broker's heartbeat interval as `colony up` gives it (`COLONY_HEARTBEAT_MS`, 10 ms to
    /// 1 hour), else MDP's default.
    public static var ambientHeartbeatInterval: Duration {
        guard let text = ProcessInfo.processInfo.environment["COLONY_HEARTBEAT_MS"], let milliseconds = Int(text) else {
            return MDP.defaultHeartbeatInterval
        }
        return .milliseconds(min(max(milliseconds, 10), 3_600_000))
    }
}
