import Foundation

/// Hosts of their own on one machine: a Linux network namespace per host, each with a veth pair
/// whose other end is on one bridge in the test's namespace (which has an address on it too, so
/// the test reaches every host). Cutting a host's link partitions it from all the others.
/// Needs root and `ip`; every namespace, link and bridge is removed by `remove()`.
final class NetworkNamespaces {
    let prefix: String
    /// The /24 the hosts live in: `10.X.Y.0`.
    let subnet: String
    private(set) var hosts: [String: Int] = [:]

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") && (try? run(["netns", "list"])) != nil
    }

    init() throws {
        prefix = "cx" + String(UInt32.random(in: 0..<0xFFFFFF), radix: 16)
        subnet = "10.\(Int.random(in: 64...191)).\(Int.random(in: 1...254))"
        try Self.run(["link", "add", bridge, "type", "bridge"])
        try Self.run(["addr", "add", "\(subnet).1/24", "dev", bridge])
        try Self.run(["link", "set", bridge, "up"])
    }

    var bridge: String { prefix + "br" }
    func namespace(_ host: String) -> String { prefix + "-" + host }
    private func link(_ host: String) -> String { prefix + host.prefix(3) }

    /// Adds a host and returns its address.
    @discardableResult
    func add(_ host: String) throws -> String {
        let number = hosts.count + 2
        hosts[host] = number
        let namespace = namespace(host), link = link(host)
        try Self.run(["netns", "add", namespace])
        try Self.run(["link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace])
        try Self.run(["link", "set", link, "master", bridge])
        try Self.run(["link", "set", link, "up"])
        try Self.run(["-n", namespace, "addr", "add", "\(subnet).\(number)/24", "dev", "eth0"])
        try Self.run(["-n", namespace, "link", "set", "eth0", "up"])
        try Self.run(["-n", namespace, "link", "set", "lo", "up"])
        return address(host)
    }

    func address(_ host: String) -> String { "\(subnet).\(hosts[host] ?? 0)" }

    /// Cuts the host off (its link goes down), or connects it again.
    func partition(_ host: String) throws { try Self.run(["link", "set", link(host), "down"]) }
    func heal(_ host: String) throws { try Self.run(["link", "set", link(host), "up"]) }

    /// `command` run inside the host's namespace (as an argument list for `ip`).
    func inside(_ host: String, _ command: [String]) -> (executable: URL, arguments: [String]) {
        (URL(fileURLWithPath: "/usr/sbin/ip"), ["netns", "exec", namespace(host)] + command)
    }

    func remove() {
        for host in hosts.keys {
            _ = try? Self.run(["link", "del", link(host)])
            _ = try? Self.run(["netns", "del", namespace(host)])
        }
        _ = try? Self.run(["link", "del", bridge])
    }

    deinit { remove() }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: ProcessHarness.readToEnd(pipe.fileHandleForReading), as: UTF8.self)
        guard ProcessHarness.exitStatus(of: process) == 0 else {
            throw NamespaceError(description: "ip \(arguments.joined(separator: " ")): \(output)")
        }
        return output
    }

    struct NamespaceError: Error, CustomStringConvertible {
        let description: String
    }
}
