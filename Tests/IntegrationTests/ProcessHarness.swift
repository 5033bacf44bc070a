import ColonyAgent
import ColonyWire
import Foundation
import Testing

/// Starts `colony` (and other) processes for a test and kills every one of them at the end,
/// even when the test fails. Children also get COLONY_EXIT_WITH_PARENT=1, so they exit if
/// the test runner itself dies. A harness holds one of the run's `ProcessSlots` from when it
/// is made until it stops its processes.
final class ProcessHarness {
    private(set) var processes: [(name: String, process: Process, log: URL)] = []
    let directory: URL
    private var holdsSlot = true

    init() async throws {
        await ProcessSlots.shared.take()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "security:\n  mode: none\n".write(to: insecureConfiguration, atomically: true, encoding: .utf8)
    }

    /// The configuration children read unless given `--config`: an unsecured bus (tests that
    /// exercise security write their own), so nothing depends on keys in the working directory.
    var insecureConfiguration: URL { directory.appendingPathComponent("insecure.yaml") }

    deinit { stopAll() }

    /// The `colony` executable built next to this test bundle (or `$COLONY_BIN`).
    static var colonyBinary: URL {
        if let path = ProcessInfo.processInfo.environment["COLONY_BIN"] { return URL(fileURLWithPath: path) }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("colony")
    }

    /// Runs `colony ARGS…` in the background; its output goes to a log file in the test's directory.
    @discardableResult
    func colony(_ arguments: [String], name: String, environment extra: [String: String] = [:]) throws -> Process {
        try launch(Self.colonyBinary, arguments, name: name, environment: extra)
    }

    @discardableResult
    func launch(_ executable: URL, _ arguments: [String], name: String, environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["COLONY_EXIT_WITH_PARENT"] = "1"
        if environment["COLONY_CONFIG"] == nil { environment["COLONY_CONFIG"] = insecureConfiguration.path }
        process.environment = environment
        let log = directory.appendingPathComponent("\(name)-\(processes.count).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.append((name, process, log))
        return process
    }

    /// Runs `colony ARGS…` to completion and returns its exit code and output (see `runTool`).
    func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        var environment = ProcessInfo.processInfo.environment
        if environment["COLONY_CONFIG"] == nil { environment["COLONY_CONFIG"] = insecureConfiguration.path }
        return try await runTool(Self.colonyBinary.path, arguments, environment: environment)
    }

    /// Everything until end of file, retrying reads a signal interrupts (corelibs Foundation's
    /// `readDataToEndOfFile` traps on EINTR, which a child's SIGCHLD can cause).
    static func readToEnd(_ handle: FileHandle) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                return data
            }
        }
    }

    /// The exit status of a process that is ending, without `Process.waitUntilExit()`:
    /// corelibs Foundation sometimes never notices a child's exit (seen on a loaded machine:
    /// the child a zombie, `waitUntilExit` blocked for good, and with it the test process), so
    /// after a grace period the child is reaped here. -1 if it is still running after `limit`.
    static func exitStatus(of process: Process, limit: Duration = .seconds(600)) -> Int32 {
        let deadline = ContinuousClock.now + limit
        let pid = process.processIdentifier
        while ContinuousClock.now < deadline {
            if !process.isRunning { return process.terminationStatus }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal
            }
            usleep(10_000)
        }
        return -1
    }

    /// The exit code of a process already seen ending (`waitForExit`), read through `waitpid`
    /// when Foundation has not noticed the exit yet; -1 if it is somehow still running after 5 s.
    static func exitCode(ofEnded process: Process) -> Int32 {
        exitStatus(of: process, limit: .seconds(5))
    }

    /// Runs a program to completion and returns its exit code and output (stdout and stderr).
    /// The output goes through a file, not a pipe, and the exit is awaited by polling between
    /// sleeps: a daemon the program starts (a database server) may keep inherited descriptors
    /// open long after the program exited, and a test blocked in `read` or `waitpid` would hold
    /// one of the few threads every test shares.
    func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = directory.appendingPathComponent("run-\(UUID().uuidString.prefix(8)).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        while process.isRunning, !Self.hasExited(process) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return (Self.exitCode(ofEnded: process), (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// Sends `signal` to `process`.
    func signal(_ process: Process, _ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits (bounded) for `process` to exit; returns whether it did. A zombie counts as
    /// exited: Foundation's `isRunning` may lag a SIGKILL by many seconds on a loaded machine.
    func waitForExit(_ process: Process, timeout: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        // An exit once seen is the answer: looking again could read /proc/PID of another
        // process that took the pid after Foundation reaped this one (it failed a CI run so).
        repeat {
            if !process.isRunning || Self.hasExited(process) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        return !process.isRunning || Self.hasExited(process)
    }

    /// The log of the named process, for failure messages.
    func log(of name: String) -> String {
        processes.filter { $0.name == name }.map { (try? String(contentsOf: $0.log, encoding: .utf8)) ?? "" }.joined(separator: "\n---\n")
    }

    /// SIGTERM every process still running, then SIGKILL whatever remains; bounded (see
    /// `exitStatus(of:)`: Foundation may miss an exit, so leftovers are reaped here).
    func stopAll() {
        defer {
            if holdsSlot { ProcessSlots.shared.give() }
            holdsSlot = false
        }
        for entry in processes where entry.process.isRunning { kill(entry.process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(3)
        while processes.contains(where: { $0.process.isRunning && !Self.hasExited($0.process) }), Date() < deadline { usleep(20_000) }
        for entry in processes where entry.process.isRunning {
            kill(entry.process.processIdentifier, SIGKILL)
            _ = Self.exitStatus(of: entry.process, limit: .seconds(10))
        }
    }

    /// Whether the child has ended, zombie included (Foundation may not have noticed yet).
    static func hasExited(_ process: Process) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8) else { return true }
        // The state follows the command name in parentheses, which may itself contain spaces.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}

extension ProcessHarness {
    /// Endpoints nobody else can take: unix sockets inside this harness's own directory.
    /// (Ports picked by binding, closing and reusing race with other processes.)
    func privateEndpoints(_ name: String = "bus") -> BrokerEndpoints {
        let base = "ipc://" + directory.appendingPathComponent(name).path
        return BrokerEndpoints(requests: base, publish: base + ".pub", subscribe: base + ".sub")
    }

    /// Starts `colony broker` on free TCP ports chosen by the system (port 0) and returns
    /// the endpoints it reports once bound.
    func brokerOnFreePorts(_ arguments: [String], name: String = "broker") async throws -> (Process, BrokerEndpoints) {
        let file = directory.appendingPathComponent("\(name)-endpoints-\(processes.count).json")
        let process = try colony(["broker", "--endpoint", "tcp://127.0.0.1:0", "--endpoints-file", file.path] + arguments, name: name)
        let endpoints = try await eventually {
            try JSONDecoder().decode(BrokerEndpoints.self, from: Data(contentsOf: file))
        }
        guard let endpoints else { throw HarnessError.brokerDidNotBind(log(of: name)) }
        return (process, endpoints)
    }
}

enum HarnessError: Error {
    case brokerDidNotBind(String)
}

extension BrokerEndpoints {
    /// The flags that point a `colony` command at these endpoints.
    var flags: [String] {
        ["--endpoint", requests, "--publish-endpoint", publish, "--subscribe-endpoint", subscribe]
    }
}

/// Retries `body` until it returns a value or `timeout` passes, and tries once more after that:
/// on a machine busy enough to hold this task past its deadline, what it waits for has often
/// happened meanwhile.
func eventually<T>(timeout: Duration = .seconds(15), _ body: () async throws -> T?) async throws -> T? {
    let deadline = ContinuousClock.now + timeout
    while true {
        let last = ContinuousClock.now >= deadline
        if let value = try? await body() { return value }
        if last { return nil }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Waits until the broker's directory lists `count` agents offering `capability`: up to a
/// minute, since a debug build's processes start slowly on a loaded two-core machine.
func waitForAgents(_ client: ColonyClient, capability: String, count: Int = 1) async throws -> Bool {
    try await eventually(timeout: .seconds(60)) {
        let directory = try await client.directory(timeout: .seconds(2))
        let offering = directory.agents.filter { $0.capabilities.contains(capability) }.count
        return offering >= count ? true : nil
    } ?? false
}

/// A `colony broker` process on free ports with fast heartbeats (and a liveness of 10, so a
/// machine loaded by parallel tests does not drop live agents), agent processes started on
/// demand, and a client of it. Every process is killed by `stop()`, also when a test fails.
final class TestBus {
    let harness: ProcessHarness
    let endpoints: BrokerEndpoints
    let client: ColonyClient
    let expiryMs: Int

    let liveness: Int
    /// The broker process now running (a restart replaces it).
    private(set) var broker: Process

    /// Starts a broker on free ports (the system picks them; the broker reports them).
    init(expiryMs: Int = 2000, liveness: Int = 10) async throws {
        self.liveness = liveness
        self.expiryMs = expiryMs
        harness = try await ProcessHarness()
        (broker, endpoints) = try await harness.brokerOnFreePorts(Self.brokerArguments(expiryMs: expiryMs, liveness: liveness))
        client = ColonyClient(endpoints: endpoints)
    }

    static func brokerArguments(expiryMs: Int, liveness: Int) -> [String] {
        ["--heartbeat", "100ms", "--liveness", "\(liveness)", "--request-expiry", "\(expiryMs)ms", "--log-level", "debug"]
    }

    /// Restarts the broker on the ports it had (they were its own until it stopped).
    @discardableResult
    func startBroker() throws -> Process {
        broker = try harness.colony(["broker"] + endpoints.flags + Self.brokerArguments(expiryMs: expiryMs, liveness: liveness), name: "broker")
        return broker
    }

    /// Starts `colony agent run NAME` against the broker.
    @discardableResult
    func startAgent(_ name: String) throws -> Process {
        try harness.colony(["agent", "run", name] + endpoints.flags + ["--heartbeat", "100ms"], name: name)
    }

    func stop() { harness.stopAll() }
}
