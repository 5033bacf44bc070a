import ServiceLifecycle

/// A started broker as a `Service`: it serves until a graceful shutdown or cancellation, then
/// answers what it holds, disconnects its agents and stops. It is started (its sockets bound)
/// before the group runs, so a bind error is known before anything else starts.
public struct BrokerService: ServiceLifecycle.Service {
    public let handle: BrokerHandle

    public init(_ handle: BrokerHandle) {
        self.handle = handle
    }

    public func run() async {
        let handle = self.handle
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await handle.waitUntilStopped()
            } onGracefulShutdown: {
                handle.stop()
            }
        } onCancel: {
            handle.stop()
        }
    }
}
