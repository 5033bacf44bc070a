import Foundation

extension KeyDirectory {
    /// How a private file takes its place.
    enum Placement {
        /// Over whatever file is there.
        case replacing
        /// Only where no file is yet.
        case unlessPresent
    }

    /// Writes `text` to `target`, mode 0600, whole or not at all: into a draft of its own
    /// (created 0600, so a secret is never readable by others), which then takes `target`'s name
    /// as `placement` says. Readers never see the file half written. Returns false when
    /// `.unlessPresent` found a file there (left as it is). A process killed between the two steps
    /// leaves its draft (`target.PID.N`) behind.
    @discardableResult
    func writePrivately(_ text: String, to target: String, _ placement: Placement) throws(AccessError) -> Bool {
        var generator = SystemRandomNumberGenerator()
        let draft = target + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max, using: &generator))"
        defer { unlink(draft) }
        let descriptor = open(draft, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .keyFile("cannot create \(draft): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { throw .keyFile("cannot write \(draft)") }
        switch placement {
        case .replacing:
            guard rename(draft, target) == 0 else { throw .keyFile("cannot write \(target): \(String(cString: strerror(errno)))") }
            return true
        case .unlessPresent:
            if link(draft, target) == 0 { return true }
            guard errno == EEXIST else { throw .keyFile("cannot create \(target): \(String(cString: strerror(errno)))") }
            return false
        }
    }
}
