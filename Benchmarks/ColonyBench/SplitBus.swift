import ColonyAgent
import ColonyWire
import Foundation

/// The bus of `SPLIT=1`: `ColonyBench broker` and `ColonyBench agent` as processes of their own,
/// so a benchmark crosses processes as `colony up`'s orchestrator, broker and agents do. Each
/// child exits when its standard input closes, so none outlives this process, killed or not.
final class SplitBus: Sendable {
    let endpoints: BrokerEndpoints
    private let broker: Process
    private let agent: Process
    /// Held open for the children's lifetime: their standard input.
    private let lifelines: [Pipe]

    private init(endpoints: BrokerEndpoints, broker: Process, agent: Process, lifelines: [Pipe]) {
        self.endpoints = endpoints
        self.broker = broker
        self.agent = agent
        self.lifelines = lifelines
    }

    static func start() throws -> SplitBus {
        let brokerLifeline = Pipe(), output = Pipe()
        let broker = try launch(["broker", "tcp://127.0.0.1:0"], lifeline: brokerLifeline, output: output)
        guard let line = readLine(output.fileHandleForReading), line.hasPrefix("bound ") else {
            broker.terminate()
            throw SplitBusError.brokerDidNotBind
        }
        let bound = line.dropFirst("bound ".count).split(separator: " ").map(String.init)
        guard bound.count == 3 else { broker.terminate(); throw SplitBusError.brokerDidNotBind }
        let endpoints = BrokerEndpoints(requests: bound[0], publish: bound[1], subscribe: bound[2])
        let agentLifeline = Pipe()
        let agent: Process
        do {
            agent = try launch(["agent"] + bound, lifeline: agentLifeline, output: nil)
        } catch {
            broker.terminate()
            throw error
        }
        return SplitBus(endpoints: endpoints, broker: broker, agent: agent, lifelines: [brokerLifeline, agentLifeline])
    }

    /// Kills both children and reaps them (`Process.waitUntilExit` spins a run loop off the
    /// main thread; `waitpid` blocks).
    func stop() {
        for process in [agent, broker] {
            kill(process.processIdentifier, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(process.processIdentifier, &status, 0)
        }
    }

    private static func launch(_ arguments: [String], lifeline: Pipe, output: Pipe?) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.standardInput = lifeline
        process.standardOutput = output ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// One line of `handle`, byte by byte (the rest of the child's output is left unread).
    private static func readLine(_ handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while bytes.count < 4096 {
            guard let byte = try? handle.read(upToCount: 1), let first = byte.first else { return nil }
            if first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
        return nil
    }
}

enum SplitBusError: Error {
    case brokerDidNotBind
}

/// Exits the process once its standard input closes: a child of `SplitBus` ends with its parent.
func exitWhenStandardInputCloses() {
    Thread.detachNewThread {
        while let chunk = try? FileHandle.standardInput.read(upToCount: 4096), !chunk.isEmpty {}
        exit(0)
    }
}
