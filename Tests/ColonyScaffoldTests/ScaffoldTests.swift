import ColonyScaffold
import Foundation
import Testing

/// `colony new agent`'s Swift template is the package under Examples/ScaffoldedAgent, which
/// every build compiles and `swift test` runs: these tests keep the two identical.
@Suite struct ScaffoldTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    @Test func theSwiftTemplateIsTheExampleThatIsBuiltAndTested() throws {
        let scaffold = AgentScaffold(name: "shop_front", capability: "shop.greet", language: .swift, directory: "agents/shop_front")
        let sources = scaffold.files.filter { $0.path != "Package.swift" }
        #expect(sources.count == 3)
        for file in sources {
            let example = try String(contentsOf: Self.root.appendingPathComponent("Examples/ScaffoldedAgent/\(file.path)"), encoding: .utf8)
            #expect(file.contents == example, "Examples/ScaffoldedAgent/\(file.path) differs from the template")
        }
        let manifest = try #require(scaffold.files.first { $0.path == "Package.swift" }?.contents)
        #expect(manifest.contains(#".package(path: "../..")"#) && manifest.contains(#".product(name: "ColonyAgent", package: "colony")"#))
        #expect(scaffold.agentsEntry.contains("command: [agents/shop_front/.build/release/shop_front]"))
    }

    @Test func namesThatCannotBeAModuleAreRefused() {
        for name in ["Pricing", "9lives", "a-b", "", "ünï", String(repeating: "a", count: 65)] {
            #expect(throws: ScaffoldError.self, "\(name)") { try AgentScaffold.validate(name: name) }
        }
        #expect(throws: Never.self) { try AgentScaffold.validate(name: "pricing_2") }
        for capability in ["", "mmi.x", "colony.workflow.run", "a b"] {
            #expect(throws: ScaffoldError.self, "\(capability)") { try AgentScaffold.validate(capability: capability) }
        }
        #expect(AgentScaffold(name: "pricing_engine", capability: "p", language: .python, directory: "d").typeName == "PricingEngine")
    }
}
