import ColonyCore
import ColonyWorkflow
import Testing

/// Inputs declared `secret: true`: used as given, shown as `***`.
@Suite struct SecretInputTests {
    @Test func secretInputsAreKnownAndTheirValuesRedactedWherever() throws {
        var parser = WorkflowParser()
        let definition = try #require(parser.parse("""
        name: pay
        inputs:
          account: string
          token: {type: string, secret: true}
        steps:
          - {id: charge, capability: billing.charge, params: {auth: "Bearer ${input.token}", account: "${input.account}"}}
        """, file: "pay.yaml").first)
        #expect(parser.errors.isEmpty, "\(parser.errors)")
        let input = JSONValue.object(["account": .string("acme"), "token": .string("tok-123")])
        let secrets = definition.secretValues(in: input)
        #expect(secrets == [.string("tok-123")])
        #expect(input.redacting(secrets) == .object(["account": .string("acme"), "token": .string("***")]))
        let params = JSONValue.object(["auth": .string("Bearer tok-123"), "nested": .array([.string("tok-123")])])
        #expect(params.redacting(secrets) == .object(["auth": .string("Bearer ***"), "nested": .array([.string("***")])]))
        #expect("card declined for tok-123".redacting(secrets) == "card declined for ***")
        #expect(definition.canonicalSource.contains("\"secret\":true"), "the flag is part of the stored definition")
    }
}
