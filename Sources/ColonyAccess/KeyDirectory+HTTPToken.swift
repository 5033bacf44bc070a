import ColonyYAML
import Foundation

extension KeyDirectory {
    /// The file holding the HTTP API's bearer token.
    public var httpTokenFile: String { (path as NSString).appendingPathComponent("http-token") }

    /// The HTTP API's bearer token: read from `http-token`, or created there (32 random bytes
    /// as hex, mode 0600, the directory 0700) on first use.
    ///
    /// Processes that start together (a test suite, `colony up` beside `colony orchestrator`)
    /// may all find no token: each writes one to a file of its own and links it into place,
    /// which only one link can do; the others read the winner's. So the file is never seen
    /// half written, and every process serves the token the file holds.
    public func httpToken() throws(AccessError) -> String {
        if let existing = try readHTTPToken() { return existing }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .keyFile("cannot create \(path): \(error)")
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        if try writePrivately(token + "\n", to: httpTokenFile, .unlessPresent) { return token }
        guard let winner = try readHTTPToken() else { throw .keyFile("cannot read \(httpTokenFile), which another process made") }
        return winner
    }

    /// The token in `http-token`; nil when there is no such file.
    private func readHTTPToken() throws(AccessError) -> String? {
        guard FileManager.default.fileExists(atPath: httpTokenFile) else { return nil }
        let text: String
        do {
            text = try BoundedRead.text(of: httpTokenFile, what: "HTTP token file \(httpTokenFile)")
        } catch {
            throw .keyFile("\(error.message) (delete it to make a new one)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count >= 16 else { throw .keyFile("\(httpTokenFile) holds no token (delete it to make a new one)") }
        return token
    }
}
