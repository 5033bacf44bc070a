import ServiceLifecycle

/// A supervisor as a `Service`: its agents run (started with `Supervisor.start`) until a
/// graceful shutdown or cancellation; then every agent gets SIGTERM, SIGKILL after its grace
/// period, and the supervisor's thread ends.
public struct SupervisorService: Service {
    public let supervisor: Supervisor

    public init(_ supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    public func run() async {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled rather than shut down gracefully: the agents are stopped all the same.
        }
        await supervisor.shutDown()
    }
}
