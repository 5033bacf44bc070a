import ColonyAgent
import ColonyCore
import ColonyStore
import Foundation
import Testing
@testable import ColonyControlPlane

/// The OpenAPI document says exactly what the router serves, and every reference in it resolves.
@Suite struct OpenAPIDocumentTests {
    static func document() throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(OpenAPIDocument.json.utf8))
    }

    @Test func itsPathsAreExactlyTheRoutes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colony-openapi-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plane = ControlPlane(options: .init(host: "127.0.0.1", port: 0, token: "t"),
                                 client: ColonyClient(endpoints: BrokerEndpoints(requests: "ipc://\(directory.path)/none")), subscriber: nil,
                                 store: try SQLiteWorkflowStore(path: directory.appendingPathComponent("db.sqlite").path), holder: "h")
        let served = Set(plane.router().routes.map { route in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) /\(path)"
        })
        guard case .object(let paths) = try #require(try Self.document().value(at: ["paths"])) else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for method in operations.keys { documented.insert("\(method) \(path)") }
        }
        #expect(served == documented, "served but not documented: \(served.subtracting(documented).sorted()); documented but not served: \(documented.subtracting(served).sorted())")
    }

    @Test func everyReferenceResolvesAndEveryOperationHasResponses() throws {
        let document = try Self.document()
        #expect(document.value(at: ["openapi"]) == .string("3.1.0"))
        var references: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let fields):
                if case .string(let reference) = fields["$ref"] ?? .null { references.append(reference) }
                fields.values.forEach(walk)
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        walk(document)
        #expect(references.count > 20)
        for reference in references {
            #expect(reference.hasPrefix("#/"), "\(reference)")
            #expect(document.value(at: reference.dropFirst(2).split(separator: "/").map(String.init)) != nil, "\(reference) does not resolve")
        }
        guard case .object(let paths) = document.value(at: ["paths"]) ?? .null else { return }
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for (method, operation) in operations {
                #expect(operation.value(at: ["responses", "200"]) != nil || operation.value(at: ["responses", "201"]) != nil, "\(method) \(path)")
            }
        }
    }
}
