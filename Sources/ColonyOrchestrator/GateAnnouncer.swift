import ColonyEngine
import ColonyAgent
import ColonyCore
import ColonyStore
import ColonyWire
import Foundation
import Logging
import ServiceLifecycle

/// Keeps the broker's failure gate in step with the store. The broker remembers ended runs
/// in memory only, and the orchestrator tells it once per run; so whenever the orchestrator
/// becomes active, and whenever it sees a new broker instance (its boot id changed: a
/// restart), it re-announces every run that failed or was cancelled within the broker's
/// memory (`failed_run_ttl`), then says the gate is in sync (the broker holds requests of runs
/// until then, at most `gate_recovery`). The broker publishes each run again, so agents that
/// started meanwhile learn it too; one more round a few seconds later reaches agents whose
/// subscriptions came back after the first.
public actor GateAnnouncer {
    let store: any WorkflowStore
    let client: ColonyClient
    let timeToLive: Duration
    let logger: Logger
    /// The broker instance the gate was last re-announced to, and when to repeat it.
    private var announcedTo: String?
    private var repeatAt: ContinuousClock.Instant?

    /// How often the broker's boot id is checked.
    public static let checkInterval: Duration = .milliseconds(500)
    /// When the re-announcement is repeated for late subscribers.
    public static let repeatAfter: Duration = .seconds(3)
    /// Runs per `mmi.gate.fail` request.
    static let batchSize = 500

    public init(store: any WorkflowStore, client: ColonyClient, timeToLive: Duration, logger: Logger) {
        self.store = store
        self.client = client
        self.timeToLive = timeToLive
        self.logger = logger
    }

    /// Checks the broker's boot id every `checkInterval` until the task is cancelled.
    private func checkUntilCancelled() async {
        while true {
            await check()
            do {
                try await Task.sleep(for: Self.checkInterval)
            } catch {
                return
            }
        }
    }

    private func check() async {
        let boot: String
        do {
            boot = try await client.management(ManagementService.boot, timeout: .seconds(2)).text
        } catch {
            logger.debug("broker not answering its boot id yet", metadata: ["error": "\(error)"])
            return
        }
        guard !boot.isEmpty else { return }
        if boot != announcedTo {
            if await announce(to: boot, synced: true) {
                if announcedTo != nil { logger.notice("broker restarted; failure gate re-announced", metadata: ["boot": "\(boot)"]) }
                announcedTo = boot
                repeatAt = .now + Self.repeatAfter
            }
        } else if let due = repeatAt, ContinuousClock.now >= due {
            repeatAt = nil
            _ = await announce(to: boot, synced: false)
        }
    }

    /// Sends every run that stopped within the time to live; true if the broker took them all.
    private func announce(to boot: String, synced: Bool) async -> Bool {
        let since = Date().addingTimeInterval(-timeToLive.seconds)
        let runs: [RunRecord]
        do {
            runs = try await store.stoppedRuns(since: since, limit: 1_000_000)
        } catch {
            logger.error("cannot read ended runs for the failure gate", metadata: ["error": "\(error)"])
            return false
        }
        let ended = runs.map(FailedRun.init(ended:))
        var offset = 0
        while offset < ended.count {
            let batch = Array(ended[offset..<min(offset + Self.batchSize, ended.count)])
            do {
                let body = String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)
                _ = try await client.management(ManagementService.failRun, argument: body, timeout: .seconds(5))
            } catch {
                logger.warning("broker did not take the failure gate's runs; will retry", metadata: ["boot": "\(boot)", "error": "\(error)"])
                return false
            }
            offset += batch.count
        }
        if synced {
            do {
                _ = try await client.management(ManagementService.gateSynced, timeout: .seconds(5))
            } catch {
                // The broker stops holding requests of runs at its gate_recovery bound anyway.
                logger.warning("broker did not take the gate's sync; it releases held requests at gate_recovery", metadata: ["error": "\(error)"])
            }
        }
        logger.debug("failure gate announced", metadata: ["boot": "\(boot)", "runs": "\(ended.count)"])
        return true
    }
}

extension GateAnnouncer: Service {
    /// Announces as soon as the broker answers, then watches for broker restarts, until a
    /// graceful shutdown or cancellation. Nothing needs to wait for the first announcement:
    /// the broker holds requests of runs until it is done.
    public func run() async {
        await cancelWhenGracefulShutdown { await self.checkUntilCancelled() }
    }
}
