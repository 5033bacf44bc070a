import ColonyCore
import ColonyStore
import ColonyWorkflow

/// How the engine reaches agents: sends attempts, and tells the bus when a run ends.
/// `BusDispatcher` is the real one; the protocol keeps the engine free of sockets.
public protocol StepDispatcher: Sendable {
    /// Sends one attempt and returns what came of it; `dispatched` is told which agent instance
    /// the broker gave it to, before that agent runs it. Task cancellation abandons it.
    func dispatch(_ order: DispatchOrder, dispatched: @escaping @Sendable (InstanceID) -> Void) async -> StepResult
    /// A run ended: a failed or cancelled one closes the failure gate on the bus; a completed
    /// one is marked there too.
    func runEnded(_ run: RunID, status: RunStatus, error: StepError?) async
    /// Whether any agent offers `capability` now (nil when that cannot be told).
    func isOffered(_ capability: String) async -> Bool?
}
