/// The requests agents hold, found by the token each was sent with, which the agent's reply
/// carries back. A token is a slot number (low 32 bits) and the serial of the hold (high 32
/// bits), so finding a request is an array index and one comparison, with no hashing, on the
/// routing thread's every reply; a token of a request answered or held elsewhere since, or one
/// an agent made up, finds nothing (a serial comes round again only after 2³² holds, and a
/// reply must also come from the agent that holds the request).
struct InFlightTable {
    private struct Slot {
        var token: UInt64
        var request: PendingRequest?
    }

    private var slots: [Slot] = []
    /// Slots whose request went, reused first so the table stays as small as the most
    /// requests held at once.
    private var vacant: [UInt32] = []
    private var serial: UInt32 = 0
    /// How many requests are held.
    private(set) var count = 0

    /// Holds `request`; returns its token.
    mutating func insert(_ request: PendingRequest) -> UInt64 {
        serial &+= 1
        let slot: Int
        if let reused = vacant.popLast() {
            slot = Int(reused)
        } else {
            slot = slots.count
            slots.append(Slot(token: 0, request: nil))
        }
        let token = UInt64(serial) << 32 | UInt64(slot)
        slots[slot] = Slot(token: token, request: request)
        count += 1
        return token
    }

    /// The request held under `token`, if it still is.
    subscript(token: UInt64) -> PendingRequest? {
        let slot = Int(token & 0xFFFF_FFFF)
        guard slot < slots.count, slots[slot].token == token else { return nil }
        return slots[slot].request
    }

    /// Stops holding the request under `token`; returns it, or nil if it was not held.
    @discardableResult
    mutating func remove(_ token: UInt64) -> PendingRequest? {
        let slot = Int(token & 0xFFFF_FFFF)
        guard slot < slots.count, slots[slot].token == token, let request = slots[slot].request else { return nil }
        slots[slot] = Slot(token: 0, request: nil)
        vacant.append(UInt32(slot))
        count -= 1
        if count == 0, slots.count > 1_024 {
            // A burst is over: give its memory back (serials go on, so old tokens stay stale).
            slots = []
            vacant = []
        }
        return request
    }

    /// Every held request, in no particular order.
    var requests: [PendingRequest] { slots.compactMap(\.request) }

    /// Holds nothing any more.
    mutating func removeAll() {
        slots = []
        vacant = []
        count = 0
    }
}
