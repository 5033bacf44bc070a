import ArgumentParser
import ColonyAccess
import Foundation
import ColonyAgent

extension Role: ExpressibleByArgument {}

/// `colony keys …`: the CURVE keys of this colony and who may use its bus.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and manage the CURVE keys that may use this colony's bus.",
        discussion: """
        Keys live in .colony/keys/ (--directory): broker.key/.pub, operator.key/.pub (secret files
        are mode 0600) and access.yaml, the list of public keys with their roles. `colony up`
        runs `keys init` itself when the keys are missing.
        """,
        subcommands: [Initialize.self, List.self, Add.self, Revoke.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "The key directory.") var directory: String = KeyDirectory.defaultPath
        var keys: KeyDirectory { KeyDirectory(path: directory) }
    }

    static func generate() throws -> KeyDirectory.KeyPair {
        try Credentials.generateKeyPair()
    }

    struct Initialize: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Create the broker's and the operator's key pairs, unless they exist.")
        @OptionGroup var location: Location

        func run() throws {
            let created = try location.keys.initialize(generate: KeysCommand.generate)
            Console.line(created.isEmpty ? "keys exist already in \(location.directory)" : "created \(created.joined(separator: ", ")) keys in \(location.directory)")
            Console.line("broker public key: \(try location.keys.brokerKeys().publicKey)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The keys allowed on the bus, with their roles.")
        @OptionGroup var location: Location
        @Flag(help: "Print the list as JSON.") var json = false

        func run() throws {
            let entries = try location.keys.accessList().entries
            if json {
                struct Shown: Encodable { var name, key, role: String; var offers, requests, publishes: [String]; var revoked: Bool }
                Console.line(prettyJSON(entries.map {
                    Shown(name: $0.name, key: $0.publicKey, role: $0.role.rawValue, offers: $0.offers, requests: $0.requests,
                          publishes: $0.publishes, revoked: $0.revoked)
                }))
                return
            }
            var table = Table("NAME", "ROLE", "STATE", "KEY", "LIMITS")
            for entry in entries {
                let limits = [("offers", entry.offers), ("requests", entry.requests), ("publishes", entry.publishes)]
                    .filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1.joined(separator: ","))" }.joined(separator: "; ")
                table.add(entry.name, entry.role.rawValue, entry.revoked ? "revoked" : "allowed", entry.publicKey, limits.isEmpty ? "-" : limits)
            }
            Console.line(table.rendered)
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allow a key on the bus (a new key pair is made when --key is not given).",
            discussion: "A new pair's secret key is written to DIRECTORY/NAME.key (mode 0600) and its credentials printed as environment variables for the agent or client to use."
        )
        @OptionGroup var location: Location
        @Argument(help: "A name for the key (shown in logs and refusals).") var name: String
        @Option(help: "orchestrator, agent, operator or client.") var role: Role
        @Option(help: "An existing public key (Z85, 40 characters) instead of a new pair.") var key: String?
        @Option(parsing: .upToNextOption, help: "Capability patterns an agent may offer (e.g. 'billing.*').") var offers: [String] = []
        @Option(parsing: .upToNextOption, help: "Capability patterns a client may request.") var requests: [String] = []
        @Option(parsing: .upToNextOption, help: "Topic patterns an agent may publish.") var publishes: [String] = []

        func validate() throws {
            if let key, !Credentials.isKey(key) { throw ValidationError("--key must be a CURVE public key: 40 characters of Z85") }
            guard !name.isEmpty, !name.contains("/") else { throw ValidationError("the name must be non-empty, without '/'") }
        }

        func run() throws {
            let keys = location.keys
            var publicKey = key
            var secret: String?
            if publicKey == nil {
                let pair = try Credentials.generateKeyPair()
                publicKey = pair.publicKey
                secret = pair.secretKey
            }
            var list = try keys.accessList()
            try list.add(AccessEntry(name: name, publicKey: publicKey!, role: role, offers: offers, requests: requests, publishes: publishes))
            if let secret { try keys.saveKeyPair((publicKey!, secret), name: name) }
            try keys.save(list)
            Console.line("allowed \(name) as \(role.rawValue)")
            if let secret {
                let server = (try? keys.brokerKeys().publicKey) ?? "(run colony keys init)"
                Console.line("COLONY_CURVE_SERVERKEY=\(server)")
                Console.line("COLONY_CURVE_PUBLICKEY=\(publicKey!)")
                Console.line("COLONY_CURVE_SECRETKEY=\(secret)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a key from now on (its next connection, and its live one).")
        @OptionGroup var location: Location
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            var list = try location.keys.accessList()
            try list.revoke(name)
            try location.keys.save(list)
            Console.line("revoked \(name)")
        }
    }
}
