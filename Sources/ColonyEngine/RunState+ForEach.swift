import ColonyCore
import ColonyStore
import ColonyWorkflow
import Foundation

/// A fanned-out step's instances, stored like steps (`ID[0]`, `ID[1]` …).
struct FanOut: Sendable, Hashable {
    /// One instance: its step and its element's index.
    struct Instance: Sendable, Hashable {
        var parent: StepID
        var index: Int
    }

    /// The list the step fans out over, as `for_each` gave it when the step started.
    var elements: [JSONValue]
    /// The instances, in element order.
    var instances: [StepID]
    /// Instances start in element order: those from `next` on have not started.
    var next = 0
    /// Started and not yet final.
    var underWay = 0
    /// Not yet final.
    var open: Int
    /// The first instance that failed for good, by index.
    var firstFailed: Int?

    init(elements: [JSONValue], instances: [StepID]) {
        self.elements = elements
        self.instances = instances
        open = instances.count
    }
}

/// Steps with `for_each`: the list is read when the step starts, each element becomes an
/// instance (a stored step with its own attempts, retries and idempotency keys) and at most
/// `max_parallel` of them are in flight. The step ends when its instances have: succeeded with
/// their outputs in element order, or — failing fast — failed with the first instance that
/// failed for good (the others are cancelled). Instances are stored as they start, so after a
/// restart only what was in flight is sent again; the list is read again from the run's stored
/// state, which gives the same elements.
extension RunState {
    /// Starts a fanned-out step: its instances are created and the first ones go out.
    mutating func startFanOut(_ step: StepDefinition, _ fanOut: ForEach, now: Date) -> Plan {
        let elements: [JSONValue]
        switch list(for: fanOut) {
        case .success(let list): elements = list
        case .failure(let error):
            var state = StepState(status: .failed)
            state.error = error
            setState(state, of: step.id, closing: true)
            markFailing(step, error: error)
            return Plan(changes: [.step(StepTransition(run: id, step: step.id, from: .pending, to: .failed, detail: "\(error)"))])
        }
        guard !elements.isEmpty else {
            var state = StepState(status: .succeeded)
            state.output = .array([])
            setState(state, of: step.id, closing: true)
            var record = AttemptRecord(runID: id, stepID: step.id, attempt: 1, input: .object(["elements": .number(0)]), startedAt: now)
            record.status = .succeeded
            record.output = .array([])
            record.finishedAt = now
            return Plan(changes: [.step(StepTransition(run: id, step: step.id, from: .pending, to: .succeeded, attempt: record,
                                                       detail: "for_each gave an empty list"))])
        }
        let ids = elements.indices.map { ForEach.instance(step.id, $0) }
        fanOuts[step.id] = FanOut(elements: elements, instances: ids)
        var plan = Plan()
        var state = StepState(status: .running)
        state.firstStartedAt = now
        setState(state, of: step.id, closing: false)
        let limit = fanOut.maxParallel.map { ", at most \($0) at once" } ?? ""
        plan.changes.append(.step(StepTransition(run: id, step: step.id, from: .pending, to: .running,
                                                 detail: "\(elements.count) instances\(limit)")))
        for (index, instance) in ids.enumerated() {
            instances[instance] = FanOut.Instance(parent: step.id, index: index)
            setState(StepState(status: .pending), of: instance, closing: false)
            plan.changes.append(.step(StepTransition(run: id, step: instance, from: nil, to: .pending, detail: "element \(index) of \(step.id)")))
        }
        plan.append(topUp(step.id, now: now))
        return plan
    }

    /// Starts pending instances, in element order, while fewer than `max_parallel` are under
    /// way (not while the run is paused or failing). O(instances started).
    mutating func topUp(_ parent: StepID, now: Date) -> Plan {
        guard status == .running, failure == nil, var fanOut = fanOuts[parent], let step = stepDefinition(parent) else { return Plan() }
        let limit = step.forEach?.maxParallel ?? Int.max
        var plan = Plan()
        while fanOut.next < fanOut.instances.count, fanOut.underWay < limit, let definition = stepDefinition(fanOut.instances[fanOut.next]) {
            fanOut.next += 1
            fanOut.underWay += 1
            plan.append(start(definition, from: .pending, now: now))  // an instance is a plain step: it leaves `fanOuts` alone
        }
        fanOuts[parent] = fanOut
        return plan
    }

    /// `instance` of a fanned-out step changed (ended, or will retry): ends the step when it
    /// should, else starts the next instances. Returns whether the step ended. O(1) unless the
    /// step ends.
    mutating func settleFanOut(_ instance: FanOut.Instance, now: Date) -> (Plan, Bool) {
        let parent = instance.parent
        guard steps[parent]?.status == .running, var fanOut = fanOuts[parent], let step = stepDefinition(parent),
              let policy = step.forEach?.onElementFailure else { return (Plan(), false) }
        if let state = steps[fanOut.instances[instance.index]], state.status.isFinal {
            fanOut.open -= 1
            fanOut.underWay -= 1
            if state.status == .failed, fanOut.firstFailed.map({ instance.index < $0 }) ?? true { fanOut.firstFailed = instance.index }
            fanOuts[parent] = fanOut
        }
        if policy == .failFast, let failed = fanOut.firstFailed {
            var plan = Plan()
            for instance in fanOut.instances {
                guard var cancelled = steps[instance], !cancelled.status.isFinal else { continue }
                let from = cancelled.status
                if from == .dispatched { plan.effects.append(.abandon(run: id, step: instance)) }
                if !step.resources.isEmpty { plan.effects.append(.release(run: id, step: instance)) }
                cancelled.status = .cancelled
                setState(cancelled, of: instance, closing: false)
                plan.changes.append(.step(StepTransition(run: id, step: instance, from: from, to: .cancelled, detail: "element \(failed) failed")))
            }
            let cause = steps[fanOut.instances[failed]]?.error
            let error = StepError(code: cause?.code ?? ErrorCode("failed"), message: "element \(failed) failed: \(cause?.message ?? "unknown error")")
            var state = steps[parent]!
            state.status = .failed
            state.error = error
            setState(state, of: parent, closing: true)
            markFailing(step, error: error)
            plan.changes.append(.step(StepTransition(run: id, step: parent, from: .running, to: .failed, detail: "\(error)")))
            return (plan, true)
        }
        guard fanOut.open == 0 else { return (topUp(parent, now: now), false) }
        let output = JSONValue.array(fanOut.instances.map { instance in
            guard let state = steps[instance] else { return .null }
            if state.status == .succeeded { return state.output ?? .null }
            return state.error.map { .object(["error": .object(["code": .string($0.code.rawValue), "message": .string($0.message)])]) } ?? .null
        })
        var state = steps[parent]!
        state.status = .succeeded
        state.output = output
        setState(state, of: parent, closing: true)
        var record = AttemptRecord(runID: id, stepID: parent, attempt: 1, input: .object(["elements": .number(Double(fanOut.elements.count))]),
                                   startedAt: state.firstStartedAt ?? now)
        record.status = .succeeded
        record.output = output
        record.finishedAt = now
        let failed = fanOut.instances.filter { steps[$0]?.status != .succeeded }.count
        return (Plan(changes: [.step(StepTransition(run: id, step: parent, from: .running, to: .succeeded, attempt: record,
                                                    detail: failed > 0 ? "\(failed) of \(fanOut.instances.count) elements failed" : nil))]), true)
    }

    /// After a restart: the fan-outs of steps still running, from their stored instances.
    mutating func restoreFanOuts() {
        for step in definition.steps where steps[step.id]?.status == .running {
            guard let spec = step.forEach, case .success(let elements) = list(for: spec) else { continue }
            let ids = elements.indices.map { ForEach.instance(step.id, $0) }
            var fanOut = FanOut(elements: elements, instances: ids)
            for (index, instance) in ids.enumerated() {
                instances[instance] = FanOut.Instance(parent: step.id, index: index)
                let status = steps[instance]?.status ?? .pending
                if steps[instance] == nil { setState(StepState(status: .pending), of: instance, closing: false) }
                if status != .pending { fanOut.next = index + 1 }
                if status.isFinal { fanOut.open -= 1 } else if status != .pending { fanOut.underWay += 1 }
                if status == .failed, fanOut.firstFailed == nil { fanOut.firstFailed = index }
            }
            fanOuts[step.id] = fanOut
        }
    }

    /// The list `for_each` names, read from the run's state; an error when it is not a list or
    /// has more than `ForEach.maximumElements` elements.
    func list(for fanOut: ForEach) -> Result<[JSONValue], StepError> {
        guard case .success(let template) = Template.parse(fanOut.items) else {
            return .failure(StepError(code: .badRequest, message: "for_each '\(fanOut.items)' is not a reference"))
        }
        guard case .array(let elements) = template.render(resolve) else {
            return .failure(StepError(code: .badRequest, message: "for_each \(fanOut.items) is not a list"))
        }
        guard elements.count <= ForEach.maximumElements else {
            return .failure(StepError(code: .badRequest,
                                      message: "for_each \(fanOut.items) has \(elements.count) elements; at most \(ForEach.maximumElements)"))
        }
        return .success(elements)
    }
}
