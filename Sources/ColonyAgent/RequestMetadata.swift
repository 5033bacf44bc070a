import ColonyWire

/// Workflow metadata a request or event carries in its Colony header.
///
/// Inside an agent's handler the current message's metadata is a task-local, so requests
/// and events issued there inherit the correlation id without any code.
public struct RequestMetadata: Sendable, Hashable {
    /// The workflow run this belongs to.
    public var correlationID: String?
    /// The workflow step.
    public var step: String?
    /// The attempt of that step.
    public var attempt: UInt32?
    /// The key for de-duplicating deliveries.
    public var idempotencyKey: String?

    public init(correlationID: String? = nil, step: String? = nil, attempt: UInt32? = nil, idempotencyKey: String? = nil) {
        self.correlationID = correlationID
        self.step = step
        self.attempt = attempt
        self.idempotencyKey = idempotencyKey
    }

    init(_ header: ColonyHeader?) {
        self.init(
            correlationID: header?.correlationID, step: header?.step,
            attempt: header?.attempt, idempotencyKey: header?.idempotencyKey
        )
    }

    /// The metadata of the message being handled by this task, if any.
    @TaskLocal public static var current: RequestMetadata?

    /// A header carrying this metadata.
    func header(requestID: UInt64? = nil, deadlineMilliseconds: UInt64? = nil) -> ColonyHeader {
        ColonyHeader(
            requestID: requestID, correlationID: correlationID, step: step, attempt: attempt,
            idempotencyKey: idempotencyKey, deadlineMilliseconds: deadlineMilliseconds
        )
    }
}
