import Foundation

/// Yams resolves scalar tags with NSRegularExpression, which swift-corelibs-foundation does not
/// make safe to use from several threads at once: workflow files read concurrently (the
/// scheduler's and the trigger service's reloads, parallel tests) crashed with "No foreign
/// strings on Linux". Every reading of a YAML document into Colony's types holds this lock; YAML
/// is read at start-up and on reloads (every 2 s at most), never per message, so it costs nothing
/// that matters.
public enum YAMLReading {
    /// Recursive: a reader may read another document while it holds it.
    private static let lock = NSRecursiveLock()

    /// Runs `body` while no other thread reads YAML.
    public static func serialized<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
