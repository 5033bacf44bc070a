import Dispatch
import Foundation

/// Exits this process when its parent dies, if `COLONY_EXIT_WITH_PARENT=1` is set.
///
/// Test harnesses and supervisors set it so that no broker or agent outlives whoever
/// started it, even when that starter is killed with SIGKILL.
public enum ParentWatch {
    // Written once, at start-up on the main thread, before any other thread reads it; it only
    // keeps the timer alive.
    nonisolated(unsafe) private static var timer: (any DispatchSourceTimer)?

    public static func startIfRequested(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment["COLONY_EXIT_WITH_PARENT"] == "1" else { return }
        let parent = getppid()
        let source = DispatchSource.makeTimerSource(queue: .global())
        source.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
        source.setEventHandler {
            if getppid() != parent {
                FileHandle.standardError.write(Data("colony: parent process \(parent) is gone; exiting\n".utf8))
                exit(3)
            }
        }
        source.resume()
        timer = source
    }
}
