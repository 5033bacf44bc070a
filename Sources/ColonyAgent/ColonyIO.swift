import ColonyCore
import ZeroMQ

/// The process's I/O thread: it owns every client and agent socket and runs their actors.
public enum ColonyIO {
    /// Started on first use; lives as long as the process.
    public static let loop: IOLoop = IOLoop.start(name: "colony-io")
}
