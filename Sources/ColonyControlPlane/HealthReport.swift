import ColonyAgent
import ColonyEngine
import ColonyOrchestrator
import ColonyStore
import ColonyWire
import Foundation

/// `GET /api/v1/health`: what an operator checks first. It needs no token.
struct HealthReport: Encodable, Sendable {
    struct Broker: Encodable, Sendable {
        var reachable: Bool
        var security: String?
        var uptimeSeconds: Double?
        var agentsConnected: Int?
    }
    struct Orchestrator: Encodable, Sendable {
        /// `active` (this process holds the lease), `standby` (another does), `unreachable`.
        var state: String
        var leaseHolder: String?
        var term: Int64?
        var leaseExpiresAt: Date?
        /// Whether the active orchestrator answered over the bus.
        var answering: Bool
    }
    struct Store: Encodable, Sendable {
        var path: String
        var readable: Bool
        var error: String?
    }

    var status: String
    var broker: Broker
    var orchestrator: Orchestrator
    var store: Store
}

/// Builds health reports from the bus and the orchestrator's store.
struct HealthProbe: Sendable {
    /// The orchestrator's store and this process's lease holder name.
    let store: any OrchestratorStore
    let holder: String

    func report(bus: BusGateway) async -> HealthReport {
        var quick = bus
        quick.timeout = .seconds(2)
        let statistics = try? await quick.management(ManagementService.stats, as: BrokerStatistics.self)  // nil: unreachable, reported
        let answering = (try? await quick.call(OrchestratorAPI.list, Empty(), as: OrchestratorAPI.ListReply.self)) != nil  // same
        var storeHealth = HealthReport.Store(path: store.location, readable: true)
        var lease: LeaseRecord?
        do {
            lease = try await store.lease(OrchestratorLease.name)
        } catch {
            storeHealth.readable = false
            storeHealth.error = "\(error)"
        }
        let live = lease.map { $0.expiresAt > Date() } ?? false
        let state = live && lease?.holder == holder ? "active" : live ? "standby" : "unreachable"
        let orchestrator = HealthReport.Orchestrator(state: state, leaseHolder: live ? lease?.holder : nil, term: lease?.term,
                                                     leaseExpiresAt: lease?.expiresAt, answering: answering)
        let broker = HealthReport.Broker(reachable: statistics != nil, security: statistics?.security, uptimeSeconds: statistics?.uptimeSeconds,
                                         agentsConnected: statistics?.agentsConnected)
        let healthy = broker.reachable && answering && storeHealth.readable
        return HealthReport(status: healthy ? "ok" : "degraded", broker: broker, orchestrator: orchestrator, store: storeHealth)
    }
}
