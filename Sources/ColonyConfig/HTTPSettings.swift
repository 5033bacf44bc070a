import ColonyYAML

/// The control plane's HTTP server (`http:` in colony.yaml): the API, the dashboard and
/// `/metrics`, served by the orchestrator process.
public struct HTTPSettings: Sendable, Hashable {
    /// Whether the orchestrator serves HTTP at all.
    public var enabled = true
    /// The address it binds: loopback unless configured otherwise (anyone who can reach it
    /// still needs the bearer token).
    public var host = "127.0.0.1"
    /// Its port; 0 lets the system choose (the URL printed at start says which).
    public var port = 5580

    public init() {}

    /// `HOST:PORT` as written in colony.yaml.
    public var endpoint: String { "\(host):\(port)" }

    /// Reads `http: {endpoint: HOST:PORT, enabled: BOOL}`.
    static func parse(_ mapping: YAMLMapping) throws(ConfigError) -> HTTPSettings {
        try mapping.rejectUnknownKeys(["endpoint", "enabled"], in: "'http'")
        var settings = HTTPSettings()
        if let enabled = try mapping.choice("enabled", from: ["true", "false"]) { settings.enabled = enabled == "true" }
        if let endpoint = try mapping.string("endpoint") {
            guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]),
                  (0...65_535).contains(port), colon > endpoint.startIndex
            else {
                throw ConfigError(file: mapping.file, line: mapping.line(of: "endpoint"),
                                  message: "'endpoint' must be HOST:PORT with a port from 0 to 65535, not '\(endpoint)'")
            }
            settings.host = String(endpoint[..<colon]).trimmingCharacters(in: ["[", "]"])
            settings.port = port
        }
        return settings
    }
}
