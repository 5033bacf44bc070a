import ColonyCore
import ColonyStore
import Foundation
import Logging
import ServiceLifecycle

/// The lease that makes one orchestrator of several on one database the active one. The
/// holder renews it every third of its duration; another takes it (term + 1) once it has gone
/// unrenewed for a whole duration, and a holder that finds its renewal refused (it was stalled
/// past the lease) steps down at once. Every write of the active term is fenced by it (see
/// `LeaseFence`): one refused write ends the term as a refused renewal does.
public struct OrchestratorLease: Sendable {
    let store: any ScheduleStore
    let holder: String
    let duration: Duration
    let clock: any EngineClock
    let logger: Logger

    /// The lease's name in the store.
    public static let name = "orchestrator"

    public init(store: any ScheduleStore, holder: String, duration: Duration, clock: any EngineClock = .system, logger: Logger) {
        self.store = store
        self.holder = holder
        self.duration = duration
        self.clock = clock
        self.logger = logger
    }

    /// Standby until the lease is ours, then `serve(term)` while renewing it. A refused
    /// renewal (another took over while this one was stalled) cancels `serve` at once and goes
    /// back to standby. When `serve` returns (a graceful shutdown reached it) or the task is
    /// cancelled, the lease is released, so a standby takes over without waiting for it to lapse.
    public func run(whileActive serve: @escaping @Sendable (_ term: Int64) async -> Void) async {
        while let term = await standby() {
            // Every write of this term checks it; the first refused one ends the term at once.
            let fence = LeaseFence(lease: Self.name, holder: holder, term: term)
            store.fence(fence)
            let lost = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await serve(term)
                    return false
                }
                group.addTask { await self.renew(term) }
                group.addTask {
                    await withTaskCancellationHandler {
                        await fence.waitUntilTripped()
                    } onCancel: {
                        fence.trip()
                    }
                    return !Task.isCancelled
                }
                // The first to end decides: serving ended (shutdown), or the lease was lost.
                let lost = await group.next() ?? false
                group.cancelAll()
                await group.waitForAll()
                return lost
            }
            guard lost, !Task.isCancelled else {
                await release()
                return
            }
            logger.critical("lost the orchestrator lease; stepping down", metadata: ["term": "\(term)"])
        }
    }

    /// Waits until the lease is ours and returns its term; nil when a graceful shutdown or
    /// cancellation comes first.
    private func standby() async -> Int64? {
        var announced = false
        while !Task.isCancelled {
            if let term = await attempt() { return term }
            if !announced {
                logger.notice("standby: another orchestrator holds the lease on this database")
                announced = true
            }
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: duration / 3) }
            } catch {
                return nil
            }
        }
        return nil
    }

    /// Renews every third of the lease until a renewal is refused (returns true) or the task is
    /// cancelled (returns false). It goes on through a graceful shutdown: the lease must hold
    /// while the active orchestrator drains.
    private func renew(_ term: Int64) async -> Bool {
        while true {
            do {
                try await clock.sleep(for: duration / 3)
            } catch {
                return false
            }
            if Task.isCancelled { return false }
            if await attempt() != term { return true }
        }
    }

    /// Takes or renews the lease now; the term held, or nil when another holds it (or the store
    /// cannot be read, which is logged: not knowing is not holding).
    public func attempt() async -> Int64? {
        do {
            return try await store.acquireLease(Self.name, holder: holder, duration: duration, now: clock.now)
        } catch {
            logger.error("cannot read the orchestrator lease", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Gives the lease up (a standby takes over without waiting for it to lapse).
    public func release() async {
        let store = self.store, holder = self.holder
        // Its own task, awaited: releasing is what a cancelled (shutting down) caller does last,
        // and the store refuses work from a cancelled task.
        let released = Task { try await store.releaseLease(Self.name, holder: holder) }
        do {
            try await released.value
        } catch {
            logger.warning("cannot release the orchestrator lease; a standby takes over when it lapses", metadata: ["error": "\(error)"])
        }
    }
}
