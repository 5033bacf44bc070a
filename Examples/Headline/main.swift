// The headline example of README.md and of `Agent`'s documentation, built by every
// `swift build` so it cannot rot; DocSnippetTests checks both still show exactly this code.
import ColonyAgent

struct Operands: Codable, Sendable { var a: Double; var b: Double }
struct Sum: Codable, Sendable { var result: Double }

var agent = Agent(name: "calculator", concurrency: 8)
agent.capability("calc.add") { (input: Operands, context) in
    context.logger.info("adding")             // logs carry agent, capability, correlation id
    return Sum(result: input.a + input.b)
}
agent.on("market.tick") { (tick: [String: Double], context) in
    context.logger.info("tick")
}
try await agent.run()   // the broker of COLONY_ENDPOINT (colony up sets it), else tcp://127.0.0.1:5555
