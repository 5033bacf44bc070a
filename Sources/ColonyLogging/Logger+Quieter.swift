import Logging

extension Logger {
    /// This logger speaking from `level` up: for parts embedded in a bigger process (the
    /// orchestrator's bus API, `colony up`'s supervisor interface, the HTTP server), whose
    /// routine lines repeat what the process itself already tells a person.
    public func quieter(than level: Logger.Level) -> Logger {
        var quiet = self
        if quiet.logLevel < level { quiet.logLevel = level }
        return quiet
    }
}
