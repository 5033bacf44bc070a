import DequeModule
import ColonyCore
import ZeroMQ

/// Requests waiting for one capability, served round-robin across clients so one client
/// with thousands of pipelined requests cannot starve another with one. Within a client,
/// order is first in, first out.
struct FairQueue {
    /// What every capability's queue holds together (shared by all of the broker's queues).
    let totals: QueueTotals
    private var byClient: [PeerID: Deque<PendingRequest>] = [:]
    /// Clients with waiting requests, in the order they will next be served.
    private var rotation: Deque<PeerID> = []
    private(set) var count = 0
    /// The body bytes of every waiting request.
    private(set) var bytes = 0

    init(totals: QueueTotals) { self.totals = totals }

    var isEmpty: Bool { count == 0 }

    /// The request that `popFirst` would return.
    var first: PendingRequest? {
        rotation.first.flatMap { byClient[$0]?.first }
    }

    /// Adds a request behind its client's earlier ones.
    mutating func append(_ request: PendingRequest) {
        if byClient[request.client, default: []].isEmpty { rotation.append(request.client) }
        byClient[request.client, default: []].append(request)
        didAdd(request.size)
    }

    /// Puts a request back at the very front (a retry after its agent died).
    mutating func prepend(_ request: PendingRequest) {
        if byClient[request.client, default: []].isEmpty {
            rotation.prepend(request.client)
        } else if let position = rotation.firstIndex(of: request.client) {
            rotation.remove(at: position)
            rotation.prepend(request.client)
        }
        byClient[request.client, default: []].prepend(request)
        didAdd(request.size)
    }

    /// The next request: the first of the client whose turn it is; that client then goes
    /// to the back of the rotation.
    mutating func popFirst() -> PendingRequest? {
        guard let client = rotation.popFirst(), var requests = byClient.removeValue(forKey: client),
              let request = requests.popFirst()
        else { return nil }
        if !requests.isEmpty {
            byClient[client] = requests
            rotation.append(client)
        }
        didRemove(count: 1, bytes: request.size)
        return request
    }

    /// Removes and returns every request for which `isExpired` holds, keeping the order of the rest.
    mutating func removeAll(where isExpired: (PendingRequest) -> Bool) -> [PendingRequest] {
        var removed: [PendingRequest] = []
        for client in rotation {
            guard var requests = byClient[client], requests.contains(where: isExpired) else { continue }
            removed += requests.filter(isExpired)
            requests.removeAll(where: isExpired)
            byClient[client] = requests.isEmpty ? nil : requests
        }
        if !removed.isEmpty {
            rotation.removeAll { byClient[$0] == nil }
            didRemove(count: removed.count, bytes: removed.reduce(0) { $0 + $1.size })
        }
        return removed
    }

    private mutating func didAdd(_ size: Int) {
        count += 1
        bytes += size
        totals.count += 1
        totals.bytes += size
    }

    private mutating func didRemove(count gone: Int, bytes goneBytes: Int) {
        count -= gone
        bytes -= goneBytes
        totals.count -= gone
        totals.bytes -= goneBytes
    }

    /// The soonest deadline of any waiting request.
    var earliestDeadline: MonotonicTime? {
        byClient.values.lazy.flatMap { $0 }.map(\.queueDeadline).min()
    }
}

/// The requests and body bytes waiting in all of a broker's capability queues together,
/// kept by the queues themselves as they change (the broker's routing thread owns them all).
final class QueueTotals {
    var count = 0
    var bytes = 0
}
