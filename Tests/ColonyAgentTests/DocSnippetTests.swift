import Foundation
import Testing

/// The headline SDK example is code that builds (Examples/Headline, a target of the package);
/// these tests keep README.md and `Agent`'s documentation showing exactly that code.
@Suite struct DocSnippetTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The example's code, without its leading comment lines.
    static func example() throws -> String {
        try text("Examples/Headline/main.swift").split(separator: "\n", omittingEmptySubsequences: false)
            .drop { $0.hasPrefix("//") }.joined(separator: "\n")
    }

    @Test func theReadmeShowsTheExampleThatBuilds() throws {
        let readme = try Self.text("README.md")
        #expect(readme.contains("```swift\n" + (try Self.example()) + "```"), "README.md's first swift block differs from Examples/Headline/main.swift")
    }

    @Test func theAgentDocumentationShowsTheExampleThatBuilds() throws {
        let source = try Self.text("Sources/ColonyAgent/Agent.swift")
        let documented = try Self.example().split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map { $0.isEmpty ? "///" : "/// " + $0 }.joined(separator: "\n")
        #expect(source.contains("/// ```swift\n" + documented + "\n/// ```"), "Agent's doc comment differs from Examples/Headline/main.swift")
    }
}
