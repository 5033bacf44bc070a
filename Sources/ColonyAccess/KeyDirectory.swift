import ColonyYAML
import Foundation

/// A colony's keys on disk (`.colony/keys/` by default): the broker's and the operator's key
/// pairs (`NAME.key` holds the secret key, mode 0600; `NAME.pub` the public one) and the
/// access list (`access.yaml`). Key generation is passed in, so this stays free of sockets.
public struct KeyDirectory: Sendable {
    public let path: String

    /// The default place, relative to the working directory.
    public static let defaultPath = ".colony/keys"
    static let broker = "broker"
    static let operatorName = "operator"

    public init(path: String = KeyDirectory.defaultPath) {
        self.path = path
    }

    /// A key pair as two Z85 strings.
    public typealias KeyPair = (publicKey: String, secretKey: String)

    var accessFile: String { (path as NSString).appendingPathComponent("access.yaml") }

    /// Whether the broker's keys exist.
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: file(Self.broker, secret: true)) }

    /// Creates the broker's and the operator's key pairs and an access list that allows the
    /// operator, unless they exist; returns what it created. Processes that initialize one
    /// directory at once (`colony up` beside `colony broker`) do it one after the other, under a
    /// lock on its `.lock` file: the second finds the first's keys whole and keeps them.
    @discardableResult
    public func initialize(generate: () throws -> KeyPair) throws(AccessError) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .keyFile("cannot create \(path): \(error)")
        }
        return try exclusively { () throws(AccessError) -> [String] in
            var created: [String] = []
            for name in [Self.broker, Self.operatorName] where !FileManager.default.fileExists(atPath: file(name, secret: true)) {
                let pair: KeyPair
                do {
                    pair = try generate()
                } catch {
                    throw .keyFile("cannot generate a key pair: \(error)")
                }
                try write(pair, name: name)
                created.append(name)
            }
            var list = try accessList()
            if list.entry(named: Self.operatorName) == nil {
                do {
                    try list.add(AccessEntry(name: Self.operatorName, publicKey: try keyPair(Self.operatorName).publicKey, role: .operator))
                } catch {
                    throw .keyFile("\(error)")
                }
                try save(list)
            }
            return created
        }
    }

    /// Runs `body` holding an exclusive lock on the directory's `.lock` file (released when the
    /// file is closed, also if the process dies).
    private func exclusively<Value>(_ body: () throws(AccessError) -> Value) throws(AccessError) -> Value {
        let lock: FileLock
        do {
            lock = try FileLock(path: (path as NSString).appendingPathComponent(".lock"), permissions: 0o600, waiting: true)
        } catch {
            throw .keyFile(error.description)
        }
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }

    /// The key pair saved as `name`.
    public func keyPair(_ name: String) throws(AccessError) -> KeyPair {
        (try read(file(name, secret: false)), try read(file(name, secret: true)))
    }

    /// The broker's key pair.
    public func brokerKeys() throws(AccessError) -> KeyPair { try keyPair(Self.broker) }

    /// The operator's key pair.
    public func operatorKeys() throws(AccessError) -> KeyPair { try keyPair(Self.operatorName) }

    /// The access list (empty when the file does not exist yet), read within `YAMLLimits`.
    public func accessList() throws(AccessError) -> AccessList {
        guard FileManager.default.fileExists(atPath: accessFile) else { return AccessList() }
        do {
            return try AccessList.parse(try YAMLLimits.readText(path: accessFile, what: "access list"), file: accessFile)
        } catch {
            throw .keyFile("\(error)")
        }
    }

    /// Writes the access list (atomically, so a broker re-reading it never sees half a file).
    public func save(_ list: AccessList) throws(AccessError) {
        do {
            try list.yaml.write(toFile: accessFile, atomically: true, encoding: .utf8)
        } catch {
            throw .keyFile("cannot write \(accessFile): \(error)")
        }
    }

    /// What the access list's file holds now (`previous` from the last look spares a read while
    /// the file has settled): the broker re-reads the list when its content hash changes.
    public func accessListStamp(after previous: FileStamp?) -> FileStamp {
        FileStamp.of(accessFile, after: previous)
    }

    // MARK: Files

    func file(_ name: String, secret: Bool) -> String {
        (path as NSString).appendingPathComponent(name + (secret ? ".key" : ".pub"))
    }

    /// Saves a key pair as `name` (the secret file is created with mode 0600).
    public func saveKeyPair(_ pair: KeyPair, name: String) throws(AccessError) {
        try write(pair, name: name)
    }

    private func write(_ pair: KeyPair, name: String) throws(AccessError) {
        try writePrivately(pair.secretKey + "\n", to: file(name, secret: true), .replacing)
        do {
            try (pair.publicKey + "\n").write(toFile: file(name, secret: false), atomically: true, encoding: .utf8)
        } catch {
            throw .keyFile("cannot write the keys of \(name): \(error)")
        }
    }

    private func read(_ file: String) throws(AccessError) -> String {
        do {
            return try BoundedRead.text(of: file, what: "key file \(file)").trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw .keyFile("\(error.message) (run `colony keys init`)")
        }
    }
}
