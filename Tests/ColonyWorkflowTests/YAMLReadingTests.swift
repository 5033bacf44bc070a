import ColonyCore
import ColonyWorkflow
import ColonyYAML
import Foundation
import Testing

/// YAML is read with Yams' basic resolver (no regular expressions, so no lock): plain scalars
/// keep the types YAML 1.1 gives them, and files are read on several threads at once, each no
/// further than `YAMLLimits.maximumFileSize`.
@Suite struct YAMLReadingTests {
    static let document = """
        name: typed
        steps:
          - id: one
            capability: echo
            params:
              yes_word: yes
              true_word: True
              on_word: ON
              no_word: no
              mixed_case: yEs
              quoted_true: "true"
              whole: 42
              hex: 0x1F
              negative: -7
              fraction: 2.5
              exponent: 1e3
              quoted_number: '42'
              tilde: ~
              null_word: null
              text: hello
              time: 12:30
        """

    @Test func plainScalarsKeepTheirYAMLTypes() throws {
        var parser = WorkflowParser()
        let workflows = parser.parse(Self.document, file: "typed.yaml")
        #expect(parser.errors.isEmpty, "\(parser.errors)")
        let params = try #require(workflows.first?.steps.first?.params)
        let expected: [String: JSONValue] = [
            "yes_word": .bool(true), "true_word": .bool(true), "on_word": .bool(true), "no_word": .bool(false),
            "mixed_case": .string("yEs"), "quoted_true": .string("true"),
            "whole": .number(42), "hex": .number(31), "negative": .number(-7), "fraction": .number(2.5), "exponent": .number(1000),
            "quoted_number": .string("42"), "tilde": .null, "null_word": .null, "text": .string("hello"),
            "time": .number(750),  // YAML 1.1 reads 12:30 as base 60
        ]
        for (key, value) in expected {
            #expect(params.value(at: [key]) == value, "\(key)")
        }
    }

    @Test func documentsReadOnSeveralThreadsAtOnceReadAlike() async throws {
        var alone = WorkflowParser()
        let reference = alone.parse(Self.document, file: "typed.yaml").map(\.canonicalSource)
        let readings = await withTaskGroup(of: [[String]].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await onThreadOfItsOwn {
                        (0..<50).map { _ in
                            var parser = WorkflowParser()
                            return parser.parse(Self.document, file: "typed.yaml").map(\.canonicalSource)
                        }
                    }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(readings.count == 400 && readings.allSatisfy { $0 == reference })
    }

    /// A file of a gigabyte (sparse: it costs no disk) is refused after its first 16 MiB + 1
    /// byte, never read whole into memory.
    @Test func aFileOverTheBoundIsRefusedWithoutReadingItAll() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-huge-\(UUID().uuidString.prefix(8)).yaml").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(truncate(path, 1 << 30) == 0)
        #expect {
            _ = try YAMLLimits.readText(path: path, what: "workflows file")
        } throws: { error in
            (error as? ConfigError)?.message == "the file has more than \(YAMLLimits.maximumFileSize) bytes; at most that many are read"
        }
    }

    /// The orchestrator looks at the workflow files at every request to see whether they
    /// changed, and hashes one that changed lately: no further than `load` reads it. A 64 GiB
    /// file (sparse: it takes no disk) just written to the workflows directory is hashed all the
    /// same; read to its end it would take the process's memory.
    @Test func aWorkflowFileOverTheBoundIsHashedNoFurtherThanTheBound() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-stamp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let huge = directory.appendingPathComponent("huge.yaml").path
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 64 << 30) == 0)
        // Hashing 16 MiB takes a debug build a while: off the pool, with the stamp.
        let (stamp, expected) = await onThreadOfItsOwn {
            var files = FileStamps()
            _ = files.refresh(WorkflowCatalog.files([directory.path]))
            return (files.contentHashes, FNV1a.hash(repeatElement(UInt8(0), count: YAMLLimits.maximumFileSize + 1)))
        }
        #expect(stamp[huge] == expected)
    }
}
