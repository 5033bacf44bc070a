import DequeModule
import ColonyCore
import ZeroMQ

/// Requests waiting for one capability, served round-robin across clients so one client
/// with thousands of pipelined requests cannot starve another with one. Within a client,
/// order is first in, first out.
///
/// Each client with waiting requests has a lane, found by its peer id once per request added;
/// the rotation holds lane numbers, so taking the next request hashes nothing until a lane
/// empties (the routing thread does both for every queued request).
struct FairQueue {
    /// What every capability's queue holds together (shared by all of the broker's queues).
    let totals: QueueTotals
    /// One client's waiting requests, oldest first.
    private struct Lane {
        var client: PeerID
        var requests: Deque<PendingRequest>
    }
    /// Lanes by number; an emptied lane's number is reused (`vacantLanes`).
    private var lanes: [Lane] = []
    private var vacantLanes: [Int] = []
    private var laneOfClient: [PeerID: Int] = [:]
    /// Lanes with waiting requests, in the order their clients will next be served.
    private var rotation: Deque<Int> = []
    private(set) var count = 0
    /// The body bytes of every waiting request.
    private(set) var bytes = 0

    init(totals: QueueTotals) { self.totals = totals }

    var isEmpty: Bool { count == 0 }

    /// The request that `popFirst` would return.
    var first: PendingRequest? {
        rotation.first.flatMap { lanes[$0].requests.first }
    }

    /// Adds a request behind its client's earlier ones.
    mutating func append(_ request: PendingRequest) {
        if let lane = laneOfClient[request.client] {
            lanes[lane].requests.append(request)
        } else {
            rotation.append(openLane(for: request))
        }
        didAdd(request.size)
    }

    /// Puts a request back at the very front (a retry after its agent died).
    mutating func prepend(_ request: PendingRequest) {
        if let lane = laneOfClient[request.client] {
            lanes[lane].requests.prepend(request)
            if let position = rotation.firstIndex(of: lane) { rotation.remove(at: position) }
            rotation.prepend(lane)
        } else {
            rotation.prepend(openLane(for: request))
        }
        didAdd(request.size)
    }

    /// The next request: the first of the client whose turn it is; that client then goes
    /// to the back of the rotation.
    mutating func popFirst() -> PendingRequest? {
        guard let lane = rotation.popFirst(), let request = lanes[lane].requests.popFirst() else { return nil }
        if lanes[lane].requests.isEmpty {
            closeLane(lane)
        } else {
            rotation.append(lane)
        }
        didRemove(count: 1, bytes: request.size)
        releaseLanesIfIdle()
        return request
    }

    /// Removes and returns every request for which `isExpired` holds, keeping the order of the rest.
    mutating func removeAll(where isExpired: (PendingRequest) -> Bool) -> [PendingRequest] {
        var removed: [PendingRequest] = []
        var emptied = false
        for lane in rotation where lanes[lane].requests.contains(where: isExpired) {
            removed += lanes[lane].requests.filter(isExpired)
            lanes[lane].requests.removeAll(where: isExpired)
            if lanes[lane].requests.isEmpty {
                closeLane(lane)
                emptied = true
            }
        }
        if emptied {
            rotation.removeAll { lanes[$0].requests.isEmpty }
            releaseLanesIfIdle()
        }
        if !removed.isEmpty { didRemove(count: removed.count, bytes: removed.reduce(0) { $0 + $1.size }) }
        return removed
    }

    /// The soonest deadline of any waiting request.
    var earliestDeadline: MonotonicTime? {
        rotation.lazy.flatMap { self.lanes[$0].requests }.map(\.queueDeadline).min()
    }

    /// A lane holding `request` alone, for its client, which had none.
    private mutating func openLane(for request: PendingRequest) -> Int {
        let lane = Lane(client: request.client, requests: [request])
        let number: Int
        if let vacant = vacantLanes.popLast() {
            lanes[vacant] = lane
            number = vacant
        } else {
            lanes.append(lane)
            number = lanes.count - 1
        }
        laneOfClient[request.client] = number
        return number
    }

    /// Forgets an emptied lane's client (the caller takes the lane out of the rotation).
    private mutating func closeLane(_ lane: Int) {
        laneOfClient[lanes[lane].client] = nil
        lanes[lane].requests = []
        vacantLanes.append(lane)
    }

    /// Once nothing waits, a burst from many clients leaves no lanes behind (a few are kept, so
    /// a queue that keeps emptying and filling does not allocate each time).
    private mutating func releaseLanesIfIdle() {
        guard rotation.isEmpty, !lanes.isEmpty else { return }
        lanes.removeAll(keepingCapacity: lanes.count <= 64)
        vacantLanes.removeAll(keepingCapacity: lanes.capacity > 0)
        if laneOfClient.capacity > 64 { laneOfClient = [:] }
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
}

/// The requests and body bytes waiting in all of a broker's capability queues together,
/// kept by the queues themselves as they change (the broker's routing thread owns them all,
/// so its counts skip run-time exclusivity checks, as `Broker` explains).
final class QueueTotals {
    @exclusivity(unchecked) var count = 0
    @exclusivity(unchecked) var bytes = 0
}
