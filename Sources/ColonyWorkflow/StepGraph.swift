import ColonyCore
import ColonyYAML

/// A workflow's steps as a graph, read in one topological pass (Kahn's algorithm): the order
/// they can run in, a dependency cycle if there is one, and for every step the set of steps
/// that must finish before it, as bit sets built in that order. Work is
/// O(steps + dependencies + steps² / 64), and nothing recurses, so large files cost
/// milliseconds and cannot exhaust the stack.
struct StepGraph {
    /// Step ids by position in the definition.
    let ids: [StepID]
    let position: [StepID: Int]
    /// A cycle in run order, the first step repeated at the end; nil for a DAG.
    private(set) var cycle: [StepID]?
    /// Row `i` holds the transitive dependencies of step `i`, one bit per step.
    private var ancestry: [UInt64]
    private let words: Int
    /// Steps that are on a cycle or after one: their ancestry is unknown.
    private var unordered: Set<Int> = []

    init(_ steps: [StepDefinition]) {
        ids = steps.map(\.id)
        var position: [StepID: Int] = [:]
        for (index, id) in ids.enumerated() where position[id] == nil { position[id] = index }
        self.position = position
        let count = steps.count
        words = (count + 63) / 64
        ancestry = Array(repeating: 0, count: count * words)

        // Dependencies by position (unknown ones are reported elsewhere and ignored here).
        var dependencies: [[Int]] = Array(repeating: [], count: count)
        var dependents: [[Int]] = Array(repeating: [], count: count)
        var waitingOn = Array(repeating: 0, count: count)
        for (index, step) in steps.enumerated() where position[step.id] == index {
            for dependency in Set(step.dependsOn) {
                guard let source = position[dependency] else { continue }
                dependencies[index].append(source)
                dependents[source].append(index)
                waitingOn[index] += 1
            }
        }
        let distinct = (0..<count).filter { position[ids[$0]] == $0 }
        var ready = distinct.filter { waitingOn[$0] == 0 }
        var emitted = 0
        while let next = ready.popLast() {
            emitted += 1
            for dependency in dependencies[next] {
                setBit(dependency, inRowOf: next)
                unionRow(of: dependency, intoRowOf: next)
            }
            for dependent in dependents[next] {
                waitingOn[dependent] -= 1
                if waitingOn[dependent] == 0 { ready.append(dependent) }
            }
        }
        guard emitted < distinct.count else { return }
        unordered = Set(distinct.filter { waitingOn[$0] > 0 })
        cycle = Self.findCycle(from: unordered.min()!, dependencies: dependencies, unordered: unordered, ids: ids)
    }

    /// Whether `ancestor` must finish before `step` runs; nil when that is unknown because
    /// `step` is on or after a cycle.
    func runsBefore(_ ancestor: StepID, _ step: StepID) -> Bool? {
        guard let row = position[step], let column = position[ancestor] else { return false }
        if unordered.contains(row) { return nil }
        return ancestry[row * words + column / 64] & (1 << UInt64(column % 64)) != 0
    }

    private mutating func setBit(_ column: Int, inRowOf row: Int) {
        ancestry[row * words + column / 64] |= 1 << UInt64(column % 64)
    }

    private mutating func unionRow(of source: Int, intoRowOf row: Int) {
        for word in 0..<words { ancestry[row * words + word] |= ancestry[source * words + word] }
    }

    /// Every step left out of the topological order waits on another left-out step, so
    /// following those dependencies from any of them must come back to a step already seen.
    private static func findCycle(from start: Int, dependencies: [[Int]], unordered: Set<Int>, ids: [StepID]) -> [StepID] {
        var walk: [Int] = []
        var seenAt: [Int: Int] = [:]
        var current = start
        while seenAt[current] == nil {
            seenAt[current] = walk.count
            walk.append(current)
            guard let next = dependencies[current].filter({ unordered.contains($0) }).min() else { break }
            current = next
        }
        let loop = walk[(seenAt[current] ?? 0)...].map { ids[$0] } + [ids[current]]
        return Array(loop.reversed())
    }
}

/// The candidate closest to `word`, for "did you mean" hints about identifiers.
func closestMatch<Kind>(to word: Identifier<Kind>, in candidates: [Identifier<Kind>]) -> Identifier<Kind>? {
    closestMatch(to: word.rawValue, in: candidates.map(\.rawValue)).map { Identifier(rawValue: $0) }
}

/// "did you mean 'x'?" for identifiers.
func didYouMean<Kind>(_ word: Identifier<Kind>, in candidates: [Identifier<Kind>]) -> String? {
    didYouMean(word.rawValue, in: candidates.map(\.rawValue))
}
