import ColonyAgent
import ShopFrontAgent
import Testing

@Test func greetsByNameAndRefusesAnEmptyName() throws {
    #expect(try ShopFrontAgent.greet(Hello(name: "Ada")) == Greeting(greeting: "Hello, Ada!"))
    #expect(throws: WireError.self) { try ShopFrontAgent.greet(Hello(name: "")) }
    #expect(ShopFrontAgent.make().capabilityNames == ["shop.greet"])
}
