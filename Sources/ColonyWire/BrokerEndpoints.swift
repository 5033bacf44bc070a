/// The three endpoints of a broker: MDP requests, and the event proxy's two sides.
public struct BrokerEndpoints: Sendable, Hashable, Codable {
    /// The ROUTER where clients and agents speak MDP.
    public var requests: String
    /// The XSUB side: publishers connect here.
    public var publish: String
    /// The XPUB side: subscribers connect here.
    public var subscribe: String

    public init(requests: String, publish: String, subscribe: String) {
        self.requests = requests
        self.publish = publish
        self.subscribe = subscribe
    }

    /// The defaults: tcp ports 5555 (requests), 5556 (publish), 5557 (subscribe) on loopback.
    /// Agents and clients should use `.ambient` (ColonyAgent), which honours `COLONY_ENDPOINT`
    /// and falls back to these.
    public static let defaults = BrokerEndpoints(requests: "tcp://127.0.0.1:5555")

    /// Endpoints whose event sides derive from `requests`: for `tcp://host:P` they are
    /// ports P+1 (publish) and P+2 (subscribe), and for port 0 (any free port) port 0 too;
    /// for `ipc://path` they are `path.pub` and `path.sub`. Explicit values override either.
    public init(requests: String, publish: String? = nil, subscribe: String? = nil) {
        self.requests = requests
        self.publish = publish ?? BrokerEndpoints.derive(requests, offset: 1, suffix: ".pub")
        self.subscribe = subscribe ?? BrokerEndpoints.derive(requests, offset: 2, suffix: ".sub")
    }

    static func derive(_ endpoint: String, offset: Int, suffix: String) -> String {
        if endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":"),
           let port = Int(endpoint[endpoint.index(after: colon)...]), (0...65_535).contains(port) {
            return String(endpoint[..<colon]) + ":" + String(port == 0 ? 0 : port + offset)
        }
        return endpoint + suffix
    }

    /// `endpoint` with a wildcard bind address (`*`, `0.0.0.0`) replaced by loopback, for connecting.
    public static func connectable(_ endpoint: String) -> String {
        endpoint.replacing("://*:", with: "://127.0.0.1:", maxReplacements: 1)
            .replacing("://0.0.0.0:", with: "://127.0.0.1:", maxReplacements: 1)
    }
}
