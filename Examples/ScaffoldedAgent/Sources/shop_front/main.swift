import ColonyAgent
import ShopFrontAgent

// Endpoints, heartbeat and CURVE keys come from the environment `colony up` gives agents.
try await ShopFrontAgent.make().run(options: AgentOptions())
