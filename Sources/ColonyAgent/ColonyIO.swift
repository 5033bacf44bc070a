import ColonyCore
import ZeroMQ

/// The process's I/O thread: it owns every client and agent socket and runs their actors.
public enum ColonyIO {
    /// Started on first use; lives as long as the process.
    public static let loop: IOLoop = IOLoop.start(name: "colony-io")

    /// A workflow engine's thread: it owns the socket the engine dispatches steps through and
    /// runs the engine's own tasks (`Engine.Options.executor`), so a step's reply, its durable
    /// record and the next step's request happen on one thread, away from the process's other
    /// sockets. Started on first use; every engine of the process shares it.
    public static let engineLoop: IOLoop = IOLoop.start(name: "colony-engine")
}
