import ColonyCore
import ColonyAgent
import ColonyWire

/// `math`: arithmetic on two numbers, with a clear error on division by zero.
public enum MathAgent {
    /// The two operands of every math capability.
    public struct Operands: Codable, Sendable {
        public var a: Double
        public var b: Double
    }

    /// The answer of every math capability.
    public struct Result: Codable, Sendable {
        public var result: Double
    }

    /// The error code of `math.div` when `b` is zero.
    public static let divisionByZero = ErrorCode("division_by_zero")

    public static func make(concurrency: Int = 8) -> Agent {
        var agent = Agent(name: "math", concurrency: concurrency)
        agent.capability("math.add", summary: "Adds b to a") { (operands: Operands, _) in Result(result: operands.a + operands.b) }
        agent.capability("math.mul", summary: "Multiplies a by b") { (operands: Operands, _) in Result(result: operands.a * operands.b) }
        agent.capability("math.div", summary: "Divides a by b (division_by_zero when b is 0)") { (operands: Operands, _) in
            guard operands.b != 0 else {
                throw WireError(divisionByZero, "cannot divide \(format(operands.a)) by zero")
            }
            return Result(result: operands.a / operands.b)
        }
        return agent
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
