/// How many waiting requests may keep their body in libzmq's receive buffers.
///
/// A received body may point into a shared 8 KiB receive buffer and keep all of it alive. Copying
/// every waiting body out costs an allocation and a copy per queued request, on the routing
/// thread, although a burst of requests shares few buffers; not copying at all lets requests that
/// arrive one per read pin 8 KiB each. So the first `limit` waiting requests keep theirs (at most
/// `limit` × 8 KiB pinned, broker-wide) and the rest get their own copies. Only the routing
/// thread uses it, so its count skips run-time exclusivity checks, as `Broker` explains.
final class ReceiveBufferBudget {
    let limit: Int
    @exclusivity(unchecked) private(set) var inUse = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one place, if any is left; `release()` gives it back.
    func take() -> Bool {
        guard inUse < limit else { return false }
        inUse += 1
        return true
    }

    func release() {
        inUse -= 1
    }
}
