import Foundation

extension KeyDirectory {
    /// The file holding the HTTP API's bearer token.
    public var httpTokenFile: String { (path as NSString).appendingPathComponent("http-token") }

    /// The HTTP API's bearer token: read from `http-token`, or created there (32 random bytes
    /// as hex, mode 0600, the directory 0700) on first use.
    public func httpToken() throws(AccessError) -> String {
        if let text = try? String(contentsOfFile: httpTokenFile, encoding: .utf8) {  // absent: created below
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard token.utf8.count >= 16 else { throw .keyFile("\(httpTokenFile) holds no token (delete it to make a new one)") }
            return token
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .keyFile("cannot create \(path): \(error)")
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        guard FileManager.default.createFile(atPath: httpTokenFile, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: httpTokenFile)
        else { throw .keyFile("cannot create \(httpTokenFile)") }
        do {
            try handle.write(contentsOf: Data((token + "\n").utf8))
            try handle.close()
        } catch {
            throw .keyFile("cannot write \(httpTokenFile): \(error)")
        }
        return token
    }
}
