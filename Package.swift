// swift-tools-version: 6.1
// Colony runs on Linux (Debian/glibc): libzmq comes from libzmq3-dev through pkg-config, the
// supervisor forks with PR_SET_PDEATHSIG, the broker returns memory with malloc_trim.
import PackageDescription

let package = Package(
    name: "Colony",
    products: [
        .executable(name: "colony", targets: ["colony"]),
        .library(name: "ColonyAgent", targets: ["ColonyAgent"]),
        .library(name: "ColonyBroker", targets: ["ColonyBroker"]),
        .library(name: "ColonyOrchestrator", targets: ["ColonyOrchestrator"]),
        .library(name: "ColonyNode", targets: ["ColonyNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ColonyCore"),
        .target(
            name: "ZeroMQ",
            dependencies: [
                "CZeroMQ", "ColonyCore",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(name: "ColonyWire", dependencies: ["ColonyCore", .product(name: "DequeModule", package: "swift-collections")]),
        .target(
            name: "ColonyLogging",
            dependencies: ["ColonyCore", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "ColonyBroker",
            dependencies: [
                "ColonyCore", "ZeroMQ", "ColonyWire", "CMemory", "ColonyAccess", "ColonyYAML",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "ColonyAgent",
            dependencies: [
                "ColonyCore", "ZeroMQ", "ColonyWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .target(name: "ColonyYAML", dependencies: ["ColonyCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "ColonyWorkflow", dependencies: ["ColonyYAML", "ColonySchedule", "ColonyCore", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "ColonyStore",
            dependencies: ["ColonyWorkflow", "ColonyCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .target(
            name: "ColonyPostgres",
            dependencies: ["ColonyStore", "ColonyWorkflow", "ColonyYAML", "ColonyCore",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "ColonyEngine",
            dependencies: ["ColonyWorkflow", "ColonyYAML", "ColonyStore", "ColonySchedule", "ColonyWire", "ColonyCore",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .target(
            name: "ColonyOrchestrator",
            dependencies: ["ColonyEngine", "ColonyAgent", "ColonyWorkflow", "ColonyStore", "ColonyPostgres", "ColonySchedule", "ColonyWire", "ColonyCore",
                           "ColonyLogging", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        .target(name: "ColonySchedule", dependencies: ["ColonyCore"]),
        .target(name: "ColonyAccess", dependencies: ["ColonyYAML", "ColonyCore"]),
        .target(name: "CProcessSpawn"),
        .target(name: "CMemory"),
        .target(
            name: "ColonySupervisor",
            dependencies: ["CProcessSpawn", "ColonyCore", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Metrics", package: "swift-metrics")]
        ),
        .target(
            name: "ColonyConfig",
            dependencies: ["ColonyYAML", "ColonyWire", "ColonySupervisor", "ColonyEngine", "ColonyAccess"]
        ),
        .target(
            name: "ColonyNode",
            dependencies: [
                "ColonyBroker", "ColonySupervisor", "ColonyOrchestrator", "ColonyConfig", "ColonyYAML", "ColonyAgent", "ColonyWorkflow", "ColonyWire", "ColonyCore",
                "ColonyControlPlane", "ColonyStore", "ColonyLogging",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ExampleAgents",
            dependencies: ["ColonyAgent", "ColonyWire", "ColonyCore"],
            path: "agents/swift"
        ),
        .executableTarget(
            name: "colony",
            dependencies: [
                "ColonyBroker", "ColonyAgent", "ColonyConfig", "ColonyYAML", "ColonyWorkflow", "ColonyLogging",
                "ColonySupervisor", "ExampleAgents", "ColonyEngine", "ColonyOrchestrator", "ColonyNode", "ColonyStore", "ColonySchedule", "ColonyCore",
                "ColonyAccess", "ColonyScaffold", "ColonyControlPlane",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "ColonyBench",
            dependencies: ["ColonyEngine", "ColonyOrchestrator", "ColonyBroker", "ColonyAgent", "ColonyStore", "ColonyWorkflow", "ColonyWire", "ColonyCore",
                           "ColonyAccess", "ColonyControlPlane", "ColonyPostgres",
                           .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/ColonyBench"
        ),
        .executableTarget(name: "HeadlineExample", dependencies: ["ColonyAgent"], path: "Examples/Headline"),
        .target(name: "ColonyScaffold"),
        .target(
            name: "ColonyControlPlane",
            dependencies: ["ColonyAgent", "ColonyOrchestrator", "ColonyEngine", "ColonyStore", "ColonyWorkflow", "ColonyWire", "ColonyCore",
                           "ColonyLogging", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // What `colony new agent shop_front --lang swift --capability shop.greet` writes, built and
        // tested here so the template cannot rot (ColonyScaffoldTests keeps them identical).
        .target(name: "ShopFrontAgent", dependencies: ["ColonyAgent"], path: "Examples/ScaffoldedAgent/Sources/ShopFrontAgent"),
        .executableTarget(name: "shop_front", dependencies: ["ShopFrontAgent", "ColonyAgent"], path: "Examples/ScaffoldedAgent/Sources/shop_front"),
        .target(name: "ColonyTestSupport", path: "Tests/ColonyTestSupport"),
        .testTarget(name: "ShopFrontAgentTests", dependencies: ["ShopFrontAgent", "ColonyAgent"], path: "Examples/ScaffoldedAgent/Tests/ShopFrontAgentTests"),
        .testTarget(name: "ColonyScaffoldTests", dependencies: ["ColonyScaffold"]),
        .testTarget(name: "ColonyControlPlaneTests", dependencies: ["ColonyControlPlane", "ColonyAgent", "ColonyStore", "ColonyCore"]),
        .testTarget(name: "ColonyAccessTests", dependencies: ["ColonyAccess"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "ColonyCore"]),
        .testTarget(name: "ColonyWireTests", dependencies: ["ColonyWire", "ColonyCore"]),
        .testTarget(name: "ColonyConfigTests", dependencies: ["ColonyConfig", "ColonyYAML", "ColonySupervisor", "ColonyWire"]),
        .testTarget(name: "ColonyWorkflowTests", dependencies: ["ColonyWorkflow", "ColonyYAML", "ColonyWire", "ColonyCore"]),
        .testTarget(name: "ColonyStoreTests", dependencies: ["ColonyStore", "ColonyPostgres", "ColonyWorkflow", "ColonyWire", "ColonyCore", .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(name: "ColonyEngineTests", dependencies: ["ColonyEngine", "ColonyStore", "ColonyWorkflow", "ColonyWire", "ColonyCore", "ColonyTestSupport"]),
        .testTarget(name: "ColonyScheduleTests", dependencies: ["ColonySchedule", "ColonyWire"]),
        .testTarget(name: "ColonySupervisorTests", dependencies: ["ColonySupervisor"]),
        .testTarget(name: "ColonyLoggingTests", dependencies: ["ColonyLogging", "ColonyCore", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "ColonyAgentTests",
            dependencies: ["ColonyAgent", "ColonyBroker", "ColonyWire", "ColonyCore", "ColonyTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "ColonyBrokerTests",
            dependencies: ["ColonyBroker", "ColonyCore", "ZeroMQ", "ColonyWire", "ColonyAccess", "ColonyAgent", "ColonyTestSupport",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ColonyAgent", "ColonyWire", "ColonyCore", "ZeroMQ", "ColonyEngine", "ColonyOrchestrator", "ColonyStore", "ColonyWorkflow",
                           "ColonyAccess", "ColonyPostgres", "ColonyTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
