import ColonyCore
import ColonyWire

/// What an agent can know of the orchestrator's clock from its own: each message stamped
/// with the orchestrator's wall time gives `local monotonic ms − remote ms` = offset + delay,
/// and delays are never negative, so the smallest such value is an upper bound of the offset.
/// The orchestrator's time now is then at least `local now − that bound` (less an allowance
/// for the two clocks' rates drifting apart since the sample). No absolute synchronisation is
/// assumed: a lease is lapsed for an agent only when it has certainly lapsed, even if the
/// agent was stopped (SIGSTOP) with the request already in its socket.
struct LeaseClock {
    struct Sample {
        let offset: Int64
        let at: MonotonicTime
    }

    /// The rate difference allowed between the clocks (1,000 ppm: far above real quartz drift).
    static let driftAllowance = 0.001
    /// Samples older than this are forgotten (a new orchestrator may run on another clock).
    static let window: Duration = .seconds(60)
    static let capacity = 64
    /// Stamps further than this from the agent's own wall clock are not believed: no real
    /// skew is that large, and a forged stamp far in the future would make every lease look
    /// lapsed.
    static let plausibleSkewMilliseconds: UInt64 = 3_600_000

    private(set) var samples: [Sample] = []

    /// Records a message sent at `remoteMilliseconds` (orchestrator wall clock) and received now.
    mutating func note(sentAt remoteMilliseconds: UInt64, now: MonotonicTime = .now(), wallNow: UInt64 = WallClock.nowMilliseconds()) {
        let skew = remoteMilliseconds > wallNow ? remoteMilliseconds - wallNow : wallNow - remoteMilliseconds
        guard skew <= Self.plausibleSkewMilliseconds else { return }
        let local = Int64(clamping: now.nanoseconds / 1_000_000)
        let (offset, overflow) = local.subtractingReportingOverflow(Int64(clamping: remoteMilliseconds))
        guard !overflow else { return }
        samples.removeAll { now.since($0.at) > Self.window }
        samples.append(Sample(offset: offset, at: now))
        if samples.count > Self.capacity { samples.removeFirst(samples.count - Self.capacity) }
    }

    /// The earliest the orchestrator's wall clock can read now, in milliseconds; nil without samples.
    func remoteNowAtLeast(now: MonotonicTime = .now()) -> Int64? {
        let local = Int64(clamping: now.nanoseconds / 1_000_000)
        return samples.map { sample in
            let drift = Int64(now.since(sample.at).milliseconds * Self.driftAllowance) + 1
            return local - sample.offset - drift
        }.max()
    }

    /// How long ago a lease ending at `expiry` (orchestrator ms) certainly ended; nil if it may not have.
    func lapsed(_ expiry: UInt64, now: MonotonicTime = .now()) -> Int64? {
        guard let remote = remoteNowAtLeast(now: now) else { return nil }
        let ended = Int64(clamping: expiry)
        return remote > ended ? remote - ended : nil
    }
}
