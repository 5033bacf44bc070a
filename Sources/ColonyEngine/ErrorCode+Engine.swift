import ColonyCore

/// The codes the engine and the coordinator give the steps they fail themselves.
extension ErrorCode {
    /// The run's own timeout passed.
    public static let runTimeout = ErrorCode("run_timeout")
    /// The step (or its run) was cancelled, or its attempt abandoned.
    public static let cancelled = ErrorCode("cancelled")
    /// A child workflow failed, or could not be started or read.
    public static let childFailed = ErrorCode("child_failed")
    /// A child step names a workflow the orchestrator cannot run.
    public static let unknownWorkflow = ErrorCode("unknown_workflow")
    /// Fewer members than required reported at a barrier before the deadline.
    public static let barrierTimeout = ErrorCode("barrier_timeout")
    /// A consensus step without a declared electorate.
    public static let noElectorate = ErrorCode("no_electorate")
    /// Too few votes to decide.
    public static let noQuorum = ErrorCode("no_quorum")
    /// Nobody bid in an auction round.
    public static let noBids = ErrorCode("no_bids")
    /// Every winner of every auction round failed the task.
    public static let auctionFailed = ErrorCode("auction_failed")
    /// The broker could not be reached to send an attempt.
    public static let brokerUnreachable = ErrorCode("broker_unreachable")
    /// An agent's answer could not be read.
    public static let invalidReply = ErrorCode("invalid_reply")
    /// A step's params name a path its upstream step's output does not have.
    public static let missingValue = ErrorCode("missing_value")
}
