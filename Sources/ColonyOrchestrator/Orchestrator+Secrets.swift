import ColonyCore
import ColonyStore
import ColonyWorkflow

/// Secret inputs (`secret: true`) as every read of a run shows them: `***`, in the run's input
/// and anywhere their values turn up (step inputs and outputs, errors, transition details).
struct SecretRedactor: Sendable {
    let secrets: [JSONValue]

    /// The redactor for `run`, from the definition it started with (nothing to hide when the
    /// definition declares no secret, or cannot be read).
    static func `for`(_ run: RunRecord, store: any WorkflowStore) async -> SecretRedactor {
        do {
            let definition = try await store.definition(id: run.definitionID)
            return SecretRedactor(secrets: definition.secretValues(in: run.input))
        } catch {
            return SecretRedactor(secrets: [])
        }
    }

    func run(_ record: RunRecord) -> RunRecord {
        guard !secrets.isEmpty else { return record }
        var record = record
        record.input = record.input.redacting(secrets)
        record.output = record.output?.redacting(secrets)
        record.errorMessage = record.errorMessage?.redacting(secrets)
        return record
    }

    func step(_ record: StepRecord) -> StepRecord {
        guard !secrets.isEmpty else { return record }
        var record = record
        record.output = record.output?.redacting(secrets)
        record.errorMessage = record.errorMessage?.redacting(secrets)
        return record
    }

    func attempt(_ record: AttemptRecord) -> AttemptRecord {
        guard !secrets.isEmpty else { return record }
        var record = record
        record.input = record.input.redacting(secrets)
        record.output = record.output?.redacting(secrets)
        record.errorMessage = record.errorMessage?.redacting(secrets)
        return record
    }

    func transition(_ record: TransitionRecord) -> TransitionRecord {
        guard !secrets.isEmpty else { return record }
        var record = record
        record.detail = record.detail?.redacting(secrets)
        return record
    }
}
