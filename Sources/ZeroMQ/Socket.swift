import CZeroMQ

/// A ZeroMQ socket with exactly one owner.
///
/// ZeroMQ sockets are not thread safe, so `Socket` is deliberately not `Sendable`:
/// create it on the thread (or `IOLoop`) that will use it and keep it there.
/// LINGER is 0 from birth, so closing never blocks and context termination never hangs.
public final class Socket {
    let handle: UnsafeMutableRawPointer
    /// The socket type it was created with.
    public let type: SocketType
    /// Set by every send and receive: libzmq's ZMQ_FD is edge triggered and any operation
    /// may consume its signal, so a touched socket must be checked with `isReadable`
    /// before its owner blocks in `poll`. A receive that finds nothing clears it: libzmq has
    /// just made that check (two system calls saved at every wake-up of a loop). Written at
    /// every send and receive, so it skips run-time exclusivity checks: the socket has one
    /// owner thread, and nothing holds an access to it.
    @exclusivity(unchecked) var touched = true

    /// Opens a socket of `type` in `context`.
    public init(_ type: SocketType, context: Context = .shared) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.current("zmq_socket")
        }
        self.handle = handle
        self.type = type
        try setOption(ZMQ_LINGER, Int32(0))
    }

    deinit {
        zmq_close(handle)
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://127.0.0.1:5555`, `ipc:///tmp/x`, `tcp://*:0` …).
    public func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(handle, endpoint) != 0 {
            throw ZMQError.endpoint(endpoint, operation: "bind", code: zmq_errno())
        }
    }

    /// Connects to `endpoint`; ZeroMQ keeps reconnecting in the background if the peer is absent.
    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(handle, endpoint) != 0 {
            throw ZMQError.endpoint(endpoint, operation: "connect", code: zmq_errno())
        }
    }

    /// Stops connecting to `endpoint`.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        if zmq_disconnect(handle, endpoint) != 0 {
            throw ZMQError.endpoint(endpoint, operation: "disconnect", code: zmq_errno())
        }
    }

    /// The endpoint most recently bound or connected, with wildcard ports resolved.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Options

    func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        if zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.current("zmq_setsockopt(\(option))")
        }
    }

    func setOption(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.current("zmq_setsockopt(\(option))") }
    }

    func option(_ option: Int32) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        zmq_getsockopt(handle, option, &value, &size)
        return value
    }

    /// Outgoing queue limit in messages (0 = unlimited).
    public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) { try setOption(ZMQ_SNDHWM, messages) }
    /// Incoming queue limit in messages (0 = unlimited).
    public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) { try setOption(ZMQ_RCVHWM, messages) }
    /// ROUTER: fail sends to unknown peers with `hostUnreachable` instead of dropping them.
    public func setRouterMandatory(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_ROUTER_MANDATORY, on ? 1 : 0) }
    /// ROUTER: let a new connection with a known routing id take that id over.
    public func setRouterHandover(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_ROUTER_HANDOVER, on ? 1 : 0) }
    /// The identity this socket presents to ROUTER peers; set before connecting.
    public func setRoutingID(_ id: [UInt8]) throws(ZMQError) { try setOption(ZMQ_ROUTING_ID, bytes: id) }
    /// Queue messages only to completed connections (no buffering for absent peers).
    public func setImmediate(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_IMMEDIATE, on ? 1 : 0) }
    /// First reconnect delay and its ceiling (exponential backoff inside libzmq).
    public func setReconnectInterval(milliseconds: Int32, max: Int32) throws(ZMQError) {
        try setOption(ZMQ_RECONNECT_IVL, milliseconds)
        try setOption(ZMQ_RECONNECT_IVL_MAX, max)
    }
    /// SUB: receive messages whose first frame starts with `prefix` ("" = everything).
    public func subscribe(_ prefix: String) throws(ZMQError) { try setOption(ZMQ_SUBSCRIBE, bytes: Array(prefix.utf8)) }
    /// SUB: stop receiving `prefix`.
    public func unsubscribe(_ prefix: String) throws(ZMQError) { try setOption(ZMQ_UNSUBSCRIBE, bytes: Array(prefix.utf8)) }
    /// XPUB: pass every (un)subscription upstream, duplicates included.
    public func setXPublisherVerbose(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_XPUB_VERBOSE, on ? 1 : 0) }
    /// XPUB: with no-drop on, a send that would pass a subscriber's high-water mark fails
    /// (would block) instead of silently skipping that subscriber.
    public func setXPublisherNoDrop(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_XPUB_NODROP, on ? 1 : 0) }
    /// The largest inbound message accepted (bytes, all frames); a peer sending more is disconnected.
    public func setMaximumMessageSize(_ bytes: Int64) throws(ZMQError) {
        var value = bytes
        guard zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.current("zmq_setsockopt(ZMQ_MAXMSGSIZE)")
        }
    }
    /// Reports this socket's connections on a PAIR socket at `endpoint` (`inproc://…`):
    /// see `ConnectionMonitor`.
    func monitor(_ endpoint: String, events: Int32) throws(ZMQError) {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else { throw ZMQError.current("zmq_socket_monitor") }
    }

    /// How long a waiting receive blocks before giving up (-1 = forever).
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) { try setOption(ZMQ_RCVTIMEO, milliseconds) }

    /// How long close waits for unsent messages (0 = drop them at once, the default here).
    public func setLinger(milliseconds: Int32) throws(ZMQError) { try setOption(ZMQ_LINGER, milliseconds) }

    /// Whether a message can be received now without blocking.
    public var isReadable: Bool {
        touched = false
        return option(ZMQ_EVENTS) & Int32(ZMQ_POLLIN) != 0
    }

    /// The file descriptor libzmq signals (edge triggered) when `isReadable` may have changed.
    var signalDescriptor: Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        zmq_getsockopt(handle, ZMQ_FD, &fd, &size)
        return fd
    }

    // MARK: Sending

    /// Sends `frame` (consuming its content). Returns false if the send would block
    /// (high-water mark reached); the frame is then left untouched.
    @discardableResult
    public func send(_ frame: Frame, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        try sendMessage(frame.message, more: more, wait: wait)
    }

    /// Sends `part` (consuming its content: a received part is empty afterwards). Returns false
    /// if the send would block (high-water mark reached); the part is then left untouched.
    @discardableResult
    public func send(_ part: MessagePart, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        try sendMessage(part.message, more: more, wait: wait)
    }

    /// Sends a second reference to part `index` of `parts` (libzmq counts references to large
    /// bodies; small ones are copied), leaving the part as it was: what a request kept for a
    /// retry sends each time. Nothing is allocated for it. Returns false if it would block.
    @discardableResult
    public func send(copyOfPart index: Int, of parts: MessageParts, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        try parts.withMessage(index) { original throws(ZMQError) -> Bool in
            // The zmq_msg_t lives only inside this call, at one address: never moved while live.
            try withUnsafeTemporaryAllocation(of: zmq_msg_t.self, capacity: 1) { storage throws(ZMQError) -> Bool in
                let message = storage.baseAddress!
                zmq_msg_init(message)
                defer { zmq_msg_close(message) }
                zmq_msg_copy(message, original)
                return try sendMessage(message, more: more, wait: wait)
            }
        }
    }

    /// Hands `message` to libzmq (which empties it on success), retrying when interrupted.
    private func sendMessage(_ message: UnsafeMutablePointer<zmq_msg_t>, more: Bool, wait: Bool) throws(ZMQError) -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (wait ? 0 : ZMQ_DONTWAIT)
        touched = true
        while true {
            if zmq_msg_send(message, handle, flags) >= 0 { return true }
            switch zmq_errno() {
            case EINTR: continue
            case EAGAIN: return false
            default: throw ZMQError.current("zmq_msg_send")
            }
        }
    }

    /// Sends a copy of `bytes` as one frame. Returns false if the send would block.
    @discardableResult
    public func send(bytes: UnsafeRawBufferPointer, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (wait ? 0 : ZMQ_DONTWAIT)
        touched = true
        while true {
            if zmq_send(handle, bytes.baseAddress, bytes.count, flags) >= 0 { return true }
            switch zmq_errno() {
            case EINTR: continue
            case EAGAIN: return false
            default: throw ZMQError.current("zmq_send")
            }
        }
    }

    /// Sends a copy of `bytes` as one frame. Returns false if the send would block.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(ZMQError) -> Bool in try send(bytes: raw, more: more, wait: wait) }
        }.get()
    }

    /// Sends constant text (a protocol name) as one frame, with no array made for it. Returns
    /// false if the send would block.
    @discardableResult
    public func send(_ text: StaticString, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        try send(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), more: more, wait: wait)
    }

    /// Sends a frame of one byte (a protocol command). Returns false if the send would block.
    @discardableResult
    public func send(byte: UInt8, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        var byte = byte
        return try Swift.withUnsafeBytes(of: &byte) { raw in
            Result { () throws(ZMQError) -> Bool in try send(bytes: raw, more: more, wait: wait) }
        }.get()
    }

    /// Sends an empty frame (an MDP delimiter). Returns false if the send would block.
    @discardableResult
    public func sendEmptyFrame(more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        try send(bytes: UnsafeRawBufferPointer(start: nil, count: 0), more: more, wait: wait)
    }

    /// Sends `string`'s UTF-8 bytes as one frame. Returns false if the send would block.
    @discardableResult
    public func send(_ string: String, more: Bool = false, wait: Bool = false) throws(ZMQError) -> Bool {
        var string = string
        return try string.withUTF8 { utf8 in
            Result { () throws(ZMQError) -> Bool in try send(bytes: UnsafeRawBufferPointer(utf8), more: more, wait: wait) }
        }.get()
    }

    /// Sends `parts` as one multipart message. Returns false, having sent nothing, if the
    /// first part would block; once the first part is accepted libzmq takes the rest.
    @discardableResult
    public func send(message parts: [Frame], wait: Bool = false) throws(ZMQError) -> Bool {
        guard let first = parts.first else { return true }
        if try !send(first, more: parts.count > 1, wait: wait) { return false }
        for index in parts.indices.dropFirst() {
            try send(parts[index], more: index < parts.count - 1, wait: true)
        }
        return true
    }

    // MARK: Receiving

    /// Receives one whole multipart message, or nil if none is waiting (or, with `wait`,
    /// if a signal interrupted the wait).
    public func receiveMessage(wait: Bool = false) throws(ZMQError) -> [Frame]? {
        var parts: [Frame] = []
        return try receiveMessage(into: &parts, wait: wait) ? parts : nil
    }

    /// Receives one whole multipart message into `parts` (replacing its contents).
    /// Returns false if none is waiting.
    ///
    /// Frames of `parts` that nobody else references are received into again rather than
    /// reallocated (`zmq_msg_recv` releases their old content): a loop that keeps passing the
    /// same array allocates only for frames it kept.
    public func receiveMessage(into parts: inout [Frame], wait: Bool = false) throws(ZMQError) -> Bool {
        guard let count = try receiveParts(wait: wait, into: { index in reusableFrame(in: &parts, at: index).message }) else {
            parts.removeAll(keepingCapacity: true)
            return false
        }
        parts.removeLast(parts.count - count)
        return true
    }

    /// Receives one whole multipart message into `message`, replacing the last one (whose parts
    /// must no longer be in use). Returns false if none is waiting.
    public func receiveMessage(into message: ReceivedMessage, wait: Bool = false) throws(ZMQError) -> Bool {
        message.begin()
        guard let count = try receiveParts(wait: wait, into: message.slot) else { return false }
        message.finish(count: count)
        return true
    }

    /// Receives the parts of one message, each into the `zmq_msg_t` that `slot` gives for its
    /// index (`zmq_msg_recv` releases what was there). Returns how many, or nil if none waited.
    private func receiveParts(wait: Bool, into slot: (Int) -> UnsafeMutablePointer<zmq_msg_t>) throws(ZMQError) -> Int? {
        touched = true
        var index = 0
        var more = true
        while more {
            let message = slot(index)
            let flags = index == 0 && !wait ? ZMQ_DONTWAIT : 0
            while zmq_msg_recv(message, handle, flags) < 0 {
                let code = zmq_errno()
                if index == 0 {
                    switch code {
                    case EINTR: if wait { return nil } else { continue }
                    case EAGAIN:
                        // libzmq processed its commands and found nothing to read: what
                        // `isReadable` would ask again before the owner blocks.
                        if !wait { touched = false }
                        return nil
                    default: throw ZMQError.classify(code, operation: "zmq_msg_recv")
                    }
                }
                // The rest of a multipart message has already arrived: libzmq delivers whole messages.
                if code != EINTR { throw ZMQError.classify(code, operation: "zmq_msg_recv") }
            }
            more = zmq_msg_more(message) != 0
            index += 1
        }
        return index
    }

    private func reusableFrame(in parts: inout [Frame], at index: Int) -> Frame {
        if index < parts.count {
            if isKnownUniquelyReferenced(&parts[index]) { return parts[index] }
            parts[index] = Frame()
            return parts[index]
        }
        parts.append(Frame())
        return parts[index]
    }
}
