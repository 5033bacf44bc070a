import Foundation
import Testing
import ColonyCore
@testable import ZeroMQ

@Suite struct SocketTests {
    /// A PUSH socket connected to a PULL socket over a fresh inproc endpoint.
    func pushPull() throws -> (sender: Socket, receiver: Socket) {
        let endpoint = "inproc://pair-\(UUID().uuidString)"
        let receiver = try Socket(.pull)
        try receiver.bind(endpoint)
        let sender = try Socket(.push)
        try sender.connect(endpoint)
        return (sender, receiver)
    }

    @Test func multipartMessagesArriveWhole() throws {
        let server = try Socket(.router)
        try server.bind("tcp://127.0.0.1:0")
        let client = try Socket(.dealer)
        try client.connect(server.lastEndpoint)
        #expect(try client.send(message: [Frame(), Frame("hello"), Frame([1, 2, 3])], wait: true))
        var received: [Frame]?
        for _ in 0..<500 where received == nil {
            received = try server.receiveMessage()
            if received == nil { usleep(2000) }
        }
        let frames = try #require(received)
        #expect(frames.count == 4)
        #expect(frames[1].isEmpty)
        #expect(frames[2].string == "hello")
        #expect(frames[3].bytes == [1, 2, 3])
        #expect(frames[2].hasMore && !frames[3].hasMore)
    }

    @Test func nothingWaitingIsNilNotAnError() throws {
        let socket = try Socket(.dealer)
        try socket.bind("inproc://nothing-waiting")
        #expect(try socket.receiveMessage() == nil)
    }

    @Test func sendingToAnUnknownPeerIsHostUnreachable() throws {
        let router = try Socket(.router)
        try router.setRouterMandatory(true)
        try router.bind("inproc://mandatory")
        #expect(throws: ZMQError.hostUnreachable) { try router.send([9, 9, 9], more: true) }
    }

    @Test func badEndpointsAreTypedErrors() throws {
        let socket = try Socket(.dealer)
        #expect(throws: ZMQError.self) { try socket.bind("nonsense://x") }
    }

    /// A received message is read in place and its storage reused: a longer message grows it
    /// (and it shrinks back after), and past `maximumParts` the rest of a message is received
    /// and dropped, marked `overflowed`, without disturbing the next message.
    @Test func receivedMessagesGrowShrinkAndStopAtTheirMaximum() throws {
        let (sender, receiver) = try pushPull()
        let message = ReceivedMessage(maximumParts: 100)
        for count in [3, 20, 100, 250, 2, 101, 1] {
            let sent = (0..<count).map { Array("part \($0) of \(count)".utf8) }
            #expect(try sender.send(message: sent.map(Frame.init), wait: true))
            #expect(try receiver.receiveMessage(into: message, wait: true))
            #expect(message.overflowed == (count > 100), "\(count) parts")
            #expect(message.parts.map(\.bytes) == Array(sent.prefix(100)), "\(count) parts")
        }
        #expect(try receiver.receiveMessage(into: message) == false)
    }

    /// Parts taken from a received message leave it empty (free to be received into again);
    /// `send(copyOfPart:of:)` leaves the part whole (a kept request body is sent again on a
    /// retry); small bodies are copied, large ones shared by reference: all arrive intact, every
    /// time, before and after the parts are detached from the receive buffer.
    @Test func partsSentAsCopiesStayWholeAndArriveEachTime() throws {
        let (sender, receiver) = try pushPull()
        let sizes = [0, 5, 100, 100_000]
        let contents = sizes.map { Array(repeating: UInt8($0 % 251), count: $0) }
        #expect(try sender.send(message: contents.map(Frame.init), wait: true))
        let received = ReceivedMessage()
        #expect(try receiver.receiveMessage(into: received, wait: true))
        let parts = MessageParts.taking(received.parts[...])
        #expect(received.parts.allSatisfy { $0.isEmpty })
        #expect(parts.count == sizes.count && parts.byteCount == sizes.reduce(0, +))
        for detached in [false, true] {
            if detached { parts.detach(upTo: 65_536) }
            for _ in 0..<3 {
                for index in 0..<parts.count {
                    #expect(try sender.send(copyOfPart: index, of: parts, more: index < parts.count - 1, wait: true))
                }
            }
            for index in 0..<parts.count {
                #expect(parts.withBytes(ofPart: index) { Array($0) } == contents[index], "part \(index), detached: \(detached)")
            }
            for _ in 0..<3 {
                let copy = try #require(try receiver.receiveMessage(wait: true))
                #expect(copy.map(\.bytes) == contents, "detached: \(detached)")
            }
        }
    }
}

/// An actor whose executor is an IOLoop, as the client and agent are.
actor LoopBound {
    nonisolated let loop: IOLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    var ticks = 0
    init(loop: IOLoop) { self.loop = loop }
    func onLoopThread() -> Bool { loop.isCurrent }
    func tick() { ticks += 1 }
}

@Suite struct IOLoopTests {
    /// A PULL socket made and bound on `loop`'s thread (which owns it from then on) and handed to
    /// `setUp` there, and a PUSH socket connected to it, for the test to send from.
    func pullOnLoop(_ loop: IOLoop, setUp: @escaping @Sendable (Socket) -> Void) throws -> Socket {
        let endpoint = "inproc://loop-\(UUID().uuidString)"
        let isBound = DispatchSemaphore(value: 0)
        loop.execute {
            guard let receiver = try? Socket(.pull), (try? receiver.bind(endpoint)) != nil else { return }
            setUp(receiver)
            isBound.signal()
        }
        isBound.wait()
        let sender = try Socket(.push)
        try sender.connect(endpoint)
        return sender
    }

    @Test func actorsRunOnTheLoopThread() async {
        let loop = IOLoop.start(name: "test-loop")
        defer { loop.stop() }
        let bound = LoopBound(loop: loop)
        #expect(await bound.onLoopThread())
        #expect(!loop.isCurrent)
    }

    @Test func timersFireInOrderAndCancelledOnesDoNot() async {
        let loop = IOLoop.start(name: "test-timers")
        defer { loop.stop() }
        let fired = await withCheckedContinuation { (continuation: CheckedContinuation<[Int], Never>) in
            loop.execute {
                nonisolated(unsafe) var order: [Int] = []
                loop.schedule(after: .milliseconds(30)) { order.append(2) }
                let cancelled = loop.schedule(after: .milliseconds(10)) { order.append(99) }
                loop.schedule(after: .milliseconds(5)) { order.append(1) }
                loop.cancel(cancelled)
                loop.schedule(after: .milliseconds(60)) { continuation.resume(returning: order) }
            }
        }
        #expect(fired == [1, 2])
    }

    /// The loop waits with its timer descriptor armed at the earliest deadline: a timer added
    /// from another thread while it waits, earlier than that, must re-arm it (else it would fire
    /// seconds late), and timers cancelled meanwhile must not fire.
    @Test(.timeLimit(.minutes(1))) func aTimerAddedWhileTheLoopWaitsForALaterOneFiresOnItsOwnDeadline() async {
        let loop = IOLoop.start(name: "test-rearm")
        defer { loop.stop() }
        let far = await withCheckedContinuation { (continuation: CheckedContinuation<[IOLoop.TimerID], Never>) in
            loop.execute {
                let first = loop.schedule(after: .seconds(30)) { Issue.record("a cancelled timer fired") }
                let second = loop.schedule(after: .seconds(40)) { Issue.record("a cancelled timer fired") }
                continuation.resume(returning: [first, second])
            }
        }
        // Once the loop has armed its descriptor for the 30 s timer and waited:
        while await withCheckedContinuation({ (continuation: CheckedContinuation<Bool, Never>) in
            loop.execute { continuation.resume(returning: loop.armedDeadline == nil) }
        }) {
            try? await Task.sleep(for: .milliseconds(1))
        }
        let started = MonotonicTime.now()
        let firedAt = await withCheckedContinuation { (continuation: CheckedContinuation<MonotonicTime, Never>) in
            loop.execute {
                for timer in far { loop.cancel(timer) }
                loop.schedule(after: .milliseconds(20)) { continuation.resume(returning: .now()) }
            }
        }
        // Not a timing threshold: a timer left waiting for the 30 s one would take 30 s.
        #expect(firedAt.since(started) < .seconds(25))
    }

    @Test func socketCallbacksCanEnterTheActor() async throws {
        let loop = IOLoop.start(name: "test-watch")
        defer { loop.stop() }
        let bound = LoopBound(loop: loop)
        var sender: Socket?
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sender = try? pullOnLoop(loop) { receiver in
                nonisolated(unsafe) var resumed = false
                _ = loop.watch(receiver) {
                    while (try? receiver.receiveMessage()) != nil {
                        bound.assumeIsolated { $0.tick() }
                    }
                    if !resumed, bound.assumeIsolated({ $0.ticks }) == 3 {
                        resumed = true
                        continuation.resume()
                    }
                }
            }
            for index in 0..<3 { _ = try? sender?.send("m\(index)", wait: true) }
        }
        withExtendedLifetime(sender) {}
        #expect(await bound.ticks == 3)
    }

    /// Queued work never starves a socket: a job that queues itself again for as long as the
    /// loop runs still lets it read a message that arrives meanwhile (it looks at its sockets at
    /// least every `checkEvery` passes). Without that look the test never ends: the time limit.
    @Test(.timeLimit(.minutes(1))) func aSocketIsReadWhileWorkKeepsComing() async throws {
        let loop = IOLoop.start(name: "test-busy")
        defer { loop.stop() }
        var sender: Socket?
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sender = try? pullOnLoop(loop) { receiver in
                @Sendable func spin() { loop.execute { spin() } }
                spin()
                _ = loop.watch(receiver) {
                    guard (try? receiver.receiveMessage()) != nil else { return }
                    continuation.resume()
                }
            }
            _ = try? sender?.send("while busy", wait: true)
        }
        withExtendedLifetime(sender) {}
    }
}
