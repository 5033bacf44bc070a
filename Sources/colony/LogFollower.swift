import Foundation

/// Prints log files, optionally only their last lines, and with `follow` keeps printing
/// what is appended until interrupted.
struct LogFollower {
    let paths: [String]
    let prefix: Bool
    let tail: Int?

    func run(follow: Bool) async throws {
        var offsets: [String: UInt64] = [:]
        for path in paths {
            let data = FileManager.default.contents(atPath: path) ?? Data()
            var text = String(decoding: data, as: UTF8.self)
            if let tail {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(tail + 1).joined(separator: "\n")
            }
            emit(text, from: path)
            offsets[path] = UInt64(data.count)
        }
        guard follow else { return }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(250))
            for path in paths {
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                defer { try? handle.close() }
                let size = (try? handle.seekToEnd()) ?? 0
                let start = offsets[path] ?? 0
                guard size != start else { continue }
                try handle.seek(toOffset: size < start ? 0 : start)
                emit(String(decoding: handle.readDataToEndOfFile(), as: UTF8.self), from: path)
                offsets[path] = size
            }
        }
    }

    private func emit(_ text: String, from path: String) {
        guard !text.isEmpty else { return }
        guard prefix else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        for line in text.split(separator: "\n") { Console.line("\(name) | \(line)") }
    }
}
