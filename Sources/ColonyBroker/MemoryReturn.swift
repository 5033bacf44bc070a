import CMemory
import ColonyCore

/// Gives memory freed after a burst back to the system. glibc keeps freed heap for reuse, so
/// after a flood (say a million malformed messages) the broker's resident size would stay at
/// its peak while it uses a fraction of it. Once a burst of at least `burst` messages is
/// followed by `quiet` without any, the heap is trimmed (`malloc_trim`), once per burst.
struct MemoryReturn {
    var messagesSinceTrim = 0
    private var lastSeen = 0
    private var quietSince = MonotonicTime.now()
    let burst = 10_000
    let quiet: Duration = .seconds(1)

    mutating func tick(now: MonotonicTime) {
        if messagesSinceTrim != lastSeen {
            lastSeen = messagesSinceTrim
            quietSince = now
            return
        }
        guard messagesSinceTrim >= burst, now.since(quietSince) >= quiet else { return }
        _ = colony_return_free_memory()
        messagesSinceTrim = 0
        lastSeen = 0
    }
}
