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
        let draft = httpTokenFile + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max, using: &generator))"
        defer { unlink(draft) }
        let descriptor = open(draft, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        guard descriptor >= 0 else { throw .keyFile("cannot create \(draft): \(String(cString: strerror(errno)))") }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { throw .keyFile("cannot write \(draft)") }
        if link(draft, httpTokenFile) == 0 { return token }
        guard errno == EEXIST, let winner = try readHTTPToken() else {
            throw .keyFile("cannot create \(httpTokenFile): \(String(cString: strerror(errno)))")
        }
        return winner
    }

    /// The token in `http-token`; nil when there is no such file.
    private func readHTTPToken() throws(AccessError) -> String? {
        guard let text = try? String(contentsOfFile: httpTokenFile, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.utf8.count >= 16 else { throw .keyFile("\(httpTokenFile) holds no token (delete it to make a new one)") }
        return token
    }
}
