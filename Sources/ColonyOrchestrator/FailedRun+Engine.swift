import ColonyCore
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

extension FailedRun {
    /// How the gate hears of a run that ended with `status`: the reason is the error that ended
    /// it (`code: message`), or the status itself.
    init(run: String, status: RunStatus, error: StepError?, at date: Date = Date()) {
        self.init(run: run, status: status.rawValue, reason: error?.description ?? status.rawValue,
                  atMilliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)))
    }

    /// The gate's record of a stored run that has ended.
    init(ended run: RunRecord) {
        self.init(run: run.id, status: run.status, error: run.errorCode.map { StepError(code: $0, message: run.errorMessage ?? "") },
                  at: run.finishedAt ?? Date())
    }
}
