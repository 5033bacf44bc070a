import ColonyWorkflow
import ColonyYAML
import Foundation
import Testing

/// Workflow files written to hurt: they are refused with a located error, quickly, without
/// exhausting memory or the stack.
@Suite struct HostileFileTests {
    /// What reading and validating `text` finds, on a thread of its own: these files take
    /// seconds in a debug build, and the concurrency pool every test shares has one thread per core.
    func problems(_ text: String) async -> [ConfigError] {
        await onThreadOfItsOwn {
            var parser = WorkflowParser()
            let workflows = parser.parse(text, file: "w.yaml")
            return parser.errors + workflows.flatMap(WorkflowValidator.problems(in:))
        }
    }

    /// Nine levels of nine aliases: 387 million values from 400 bytes ("billion laughs").
    @Test func aliasBombsAreRefused() async {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...8 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        text += "name: bomb\ncontext: {x: *a8}\nsteps: [{id: one, capability: echo}]\n"
        let found = await problems(text)
        #expect(found.count == 1 && found[0].message.contains("once its aliases"), "\(found)")
        // Aliases within the limit still work.
        #expect(await problems("name: ok\ncontext: &shared {a: 1}\nsteps: [{id: one, capability: echo, params: *shared}]\n").isEmpty)
    }

    @Test func deepNestingIsRefused() async {
        let deep = "name: deep\ncontext: {x: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}\nsteps: []\n"
        let found = await problems(deep)
        #expect(found.count == 1 && found[0].message.contains("nest deeper") && found[0].line == 2, "\(found)")
        // Brackets in quotes, comments and words do not count.
        let quoted = "name: q\ndescription: \"" + String(repeating: "[", count: 1000) + "\" # " + String(repeating: "{", count: 1000)
            + "\nsteps:\n  - id: one\n    capability: echo\n    params:\n      note: it's [fine\n"
        let quotedProblems = await problems(quoted)
        #expect(quotedProblems.isEmpty, "\(quotedProblems)")
        // A double quote inside a word opens nothing either, so the brackets after it count.
        let word = "name: w\ndescription: it\"s\ncontext: {x: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}\nsteps: []\n"
        let counted = await problems(word)
        #expect(counted.count == 1 && counted[0].message.contains("nest deeper") && counted[0].line == 3, "\(counted)")
    }

    @Test func invalidUTF8IsRefusedWithItsOffset() async throws {
        let bytes = Array("name: bad\nsteps:\n  - id: one\n    capability: ech".utf8) + [0xFF, 0xFE] + Array("o\n".utf8)
        #expect(throws: ConfigError(file: "w.yaml", line: 4, message: "not valid UTF-8 at byte offset 48 (0xFF)", hint: "save the file as UTF-8")) {
            try YAMLLimits.text(of: bytes, file: "w.yaml")
        }
        let truncated = Array("name: é".utf8).dropLast()
        #expect(throws: ConfigError.self) { try YAMLLimits.text(of: Array(truncated), file: "w.yaml") }
        #expect(try YAMLLimits.text(of: Array("name: é\n".utf8), file: "w.yaml") == "name: é\n")
    }

    /// 9,999 chained steps (then one more: the limit), each reading its predecessor and the first step: validated in
    /// one pass, with the right answers (a missing depends_on still found).
    @Test func largeChainsValidateAndStillFindProblems() async {
        var text = "name: big\nsteps:\n"
        for index in 0..<9_999 {
            text += "  - id: s\(index)\n    capability: echo\n"
            if index > 0 { text += "    depends_on: [s\(index - 1)]\n    params: {x: '${steps.s\(index - 1).output.x}', y: '${steps.s0.output.x}'}\n" }
        }
        #expect(await problems(text).isEmpty)
        text += "  - id: stray\n    capability: echo\n    params: {x: '${steps.s9998.output.x}'}\n"
        let found = await problems(text)
        #expect(found.count == 1 && found[0].message.contains("does not run after it"), "\(found.map(\.message))")
        let tooMany = "name: huge\nsteps:\n" + (0...10_000).map { "  - {id: s\($0), capability: echo}\n" }.joined()
        #expect(await problems(tooMany).contains { $0.message.contains("at most 10000") })
    }

    @Test func cyclesAreNamedInRunOrder() async {
        let found = await problems("""
        name: loop
        steps:
          - {id: a, capability: echo, depends_on: [c]}
          - {id: b, capability: echo, depends_on: [a]}
          - {id: c, capability: echo, depends_on: [b]}
          - {id: d, capability: echo, depends_on: [c]}
          - {id: a, capability: echo}
        """)
        #expect(found.contains { $0.message.contains("cycle: a → b → c → a") }, "\(found)")
        #expect(found.contains { $0.message.contains("used twice") })
    }

    @Test func workflowsThatRunThemselvesAreNamed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("w.yaml")
        // A diamond of children 20 deep (2^20 paths), then back to the top.
        var text = "workflows:\n  - name: w0\n    steps: [{id: x, workflow: w1}, {id: y, workflow: v1}]\n"
        for level in 1..<20 {
            for prefix in ["w", "v"] {
                text += "  - name: \(prefix)\(level)\n    steps: [{id: x, workflow: w\(level + 1)}, {id: y, workflow: v\(level + 1)}]\n"
            }
        }
        text += "  - name: w20\n    steps: [{id: x, workflow: w0}]\n  - name: v20\n    steps: [{id: x, capability: echo}]\n"
        try text.write(to: file, atomically: true, encoding: .utf8)
        let catalog = WorkflowCatalog.load([file.path])
        let loops = catalog.problems.filter { $0.message.contains("runs itself") }
        #expect(loops.contains { $0.message.contains("w0 → w1 → w2") && $0.message.hasSuffix("w20 → w0") }, "\(loops.map(\.message))")
    }
}
