import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation

/// A run as the HTTP API shows it: `version` is the workflow definition's version, timestamps
/// are ISO 8601 with milliseconds, the error (if any) is one object.
struct RunResource: Encodable, Sendable {
    struct Failure: Encodable, Sendable { var code: String; var message: String }

    var id: String
    var workflow: String
    /// The definition's number among the workflow's versions.
    var version: Int64?
    var status: RunStatus
    var input: JSONValue
    var output: JSONValue?
    var error: Failure?
    var priority: Int
    var schedule: String?
    var scheduledAt: Date?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var parentRun: String?
    var parentStep: String?
    /// The run this one retries.
    var retryOf: String?
    var tags: [String: String]?

    init(_ run: RunRecord) {
        id = run.id.rawValue
        workflow = run.workflow
        version = run.version.map(Int64.init)
        status = run.status
        input = run.input
        output = run.output
        error = run.errorCode.map { Failure(code: $0.rawValue, message: run.errorMessage ?? "") }
        priority = run.priority
        schedule = run.scheduleID
        scheduledAt = run.scheduledAt
        createdAt = run.createdAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        parentRun = run.parentRunID?.rawValue
        parentStep = run.parentStepID?.rawValue
        retryOf = run.retryOf?.rawValue
        tags = run.tags
    }
}
