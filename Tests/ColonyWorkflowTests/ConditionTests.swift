import ColonyCore
import ColonyWire
import ColonyWorkflow
import Testing

@Suite struct ConditionTests {
    let values: [Reference: JSONValue] = [
        .stepOutput(step: "fetch", path: ["price"]): .number(120),
        .input(["mode"]): .string("live"),
        .stepStatus(step: "check"): .string("failed"),
        .input(["list"]): .array([.number(1)]),
    ]

    func holds(_ text: String) throws -> Bool {
        try Condition.parse(text).get().evaluate { values[$0] }
    }

    @Test func comparisonsAndLogic() throws {
        #expect(try holds("steps.fetch.output.price > 100 and input.mode == 'live'"))
        #expect(try !holds("steps.fetch.output.price <= 100 or input.mode != \"live\""))
        #expect(try holds("not (${steps.check.status} == 'succeeded')"))
        #expect(try holds("input.list"))
        #expect(try !holds("input.missing"))
        #expect(try holds("input.missing == null"))
        #expect(try !holds("input.mode > 3"), "mixed types never order")
        #expect(try holds("-1 < 0 and true"))
    }

    @Test func badConditionsSayWhereAndWhy() {
        #expect(throws: ExpressionError("use 'and' / 'or' instead of '&&'", column: 9)) { try Condition.parse("input.a && input.b").get() }
        #expect(throws: ExpressionError.self) { try Condition.parse("input.a ==").get() }
        #expect(throws: ExpressionError.self) { try Condition.parse("(input.a == 1").get() }
        #expect(throws: ExpressionError.self) { try Condition.parse("os.system('rm')").get() }
        #expect(throws: ExpressionError.self) { try Condition.parse("steps.a.outputs.x > 1").get() }
    }

    @Test func templatesKeepTypesOrInterpolate() throws {
        let whole = try Template.parse("${steps.fetch.output.price}").get()
        #expect(whole.render { values[$0] } == .number(120))
        let mixed = try Template.parse("price ${steps.fetch.output.price} in ${input.mode} mode, $${literal}").get()
        #expect(mixed.render { values[$0] } == .string("price 120 in live mode, ${literal}"))
        #expect(throws: ExpressionError.self) { try Template.parse("${input.x").get() }
    }
}
