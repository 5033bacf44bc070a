import Logging
import ServiceLifecycle

/// Runs `body` until it returns, or until SIGINT or SIGTERM cancels it.
func untilSignalled(logger: Logger, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await ServiceGroup(services: [Foreground(body: body)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
}

/// A command's work as the one service of its group.
private struct Foreground: Service {
    let body: @Sendable () async throws -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown(body)
    }
}
