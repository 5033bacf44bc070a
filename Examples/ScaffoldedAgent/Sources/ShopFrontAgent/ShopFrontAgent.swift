import ColonyAgent

/// What `shop.greet` takes.
public struct Hello: Codable, Sendable {
    public var name: String
    public init(name: String) { self.name = name }
}

/// What `shop.greet` answers.
public struct Greeting: Codable, Sendable, Equatable {
    public var greeting: String
    public init(greeting: String) { self.greeting = greeting }
}

/// The shop_front agent: offers `shop.greet`.
public enum ShopFrontAgent {
    /// The error code of an empty name.
    public static let emptyName = ErrorCode("empty_name")

    public static func make() -> Agent {
        var agent = Agent(name: "shop_front", concurrency: 4)
        agent.capability("shop.greet", summary: "Greets someone by name") { (input: Hello, context) in
            context.logger.info("greeting")
            return try greet(input)
        }
        return agent
    }

    /// The capability's logic, testable without a broker.
    public static func greet(_ input: Hello) throws(WireError) -> Greeting {
        guard !input.name.isEmpty else { throw WireError(emptyName, "name must not be empty") }
        return Greeting(greeting: "Hello, \(input.name)!")
    }
}
