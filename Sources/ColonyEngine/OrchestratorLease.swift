import ColonyCore
import ColonyStore
import Foundation
import Logging

/// The lease that makes one orchestrator of several on one database the active one. The
/// holder renews it every third of its duration; another takes it (term + 1) once it has gone
/// unrenewed for a whole duration, and a holder that finds its renewal refused (it was stalled
/// past the lease) steps down at once.
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

    /// Standby until the lease is ours, then `activate(term)`; renews while it stays ours, and
    /// `deactivate(active, shuttingDown)` when it is lost (false) or the task is cancelled
    /// (true: the lease is then released, so a standby takes over at once). Round again after
    /// a loss; returns only when cancelled.
    public func run<Active: Sendable>(
        activate: (Int64) async -> Active, deactivate: (Active, Bool) async -> Void
    ) async {
        let renewEvery = duration / 3
        var announcedStandby = false
        while !Task.isCancelled {
            guard let term = await attempt() else {
                if !announcedStandby {
                    logger.notice("standby: another orchestrator holds the lease on this database")
                    announcedStandby = true
                }
                guard await pause(renewEvery) else { return }
                continue
            }
            announcedStandby = false
            let active = await activate(term)
            var shuttingDown = false
            while true {
                guard await pause(renewEvery) else {
                    shuttingDown = true
                    break
                }
                if await attempt() != term {
                    logger.critical("lost the orchestrator lease; stepping down", metadata: ["term": "\(term)"])
                    break
                }
            }
            await deactivate(active, shuttingDown)
            if shuttingDown {
                await release()
                return
            }
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

    /// Sleeps `duration` on the clock; false when cancelled.
    private func pause(_ duration: Duration) async -> Bool {
        do {
            try await clock.sleep(for: duration)
            return true
        } catch {
            return false
        }
    }
}
