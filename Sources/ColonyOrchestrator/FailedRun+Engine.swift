import ColonyCore
import ColonyEngine
import ColonyStore
import ColonyWire
import ColonyWorkflow
import Foundation

extension FailedRun {
    /// How the gate hears of a run that ended with `status`: the reason is the error that ended
    /// it (`code: message`), or the status itself.
    init(run: RunID, status: RunEnd, error: StepError?, at date: Date) {
        // "run X cancelled: wrong input", not "cancelled: cancelled: wrong input".
        let reason = error.map { $0.code.rawValue == status.rawValue && !$0.message.isEmpty ? $0.message : $0.description }
        self.init(run: run.rawValue, status: status, reason: reason ?? status.rawValue,
                  atMilliseconds: UInt64(clamping: Int64(max(0, min(Double(Int64.max), date.timeIntervalSince1970 * 1000)))))
    }

    /// The gate's record of a stored run that has ended.
    init(ended run: RunRecord) {
        self.init(run: run.id, status: RunEnd(run.status) ?? .failed, error: run.errorCode.map { StepError(code: $0, message: run.errorMessage ?? "") },
                  at: run.finishedAt ?? Date())
    }
}

extension RunEnd {
    /// How a run with `status` ended; nil while it has not.
    init?(_ status: RunStatus) {
        switch status {
        case .completed: self = .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        case .pending, .running, .paused: return nil
        }
    }
}

extension RunStatus {
    /// The status of a run that ended as `end`.
    init(_ end: RunEnd) {
        switch end {
        case .completed: self = .completed
        case .failed: self = .failed
        case .cancelled: self = .cancelled
        }
    }
}
