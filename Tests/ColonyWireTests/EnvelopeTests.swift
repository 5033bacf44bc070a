import ColonyWire
import Testing

@Suite struct EnvelopeTests {
    let peer: [UInt8] = [0, 1, 2, 3, 4]
    func frames(_ parts: [UInt8]...) -> [[UInt8]] { [peer] + parts }
    func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    @Test func mdp01ClientRequest() {
        let message = frames([], MDP.client01, text("echo"), text("body"))
        #expect(Envelope.parse(message) == .clientRequest(dialect: .rfc7, service: 3))
    }

    @Test func mdp02ClientRequestWithAndWithoutDelimiter() {
        #expect(Envelope.parse(frames(MDP.client02, [0x01], text("echo"), text("b"))) == .clientRequest(dialect: .rfc18, service: 3))
        #expect(Envelope.parse(frames([], MDP.client02, [0x01], text("echo"))) ==
            .clientRequest(dialect: Dialect(version: .v02, delimited: true), service: 4))
    }

    @Test func workerCommandsOfBothVersions() {
        #expect(Envelope.parse(frames([], MDP.worker01, [0x01], text("echo"))) == .worker(dialect: .rfc7, command: .ready, arguments: 4))
        #expect(Envelope.parse(frames([], MDP.worker01, [0x03], text("c"), [], text("r"))) == .worker(dialect: .rfc7, command: .final, arguments: 4))
        #expect(Envelope.parse(frames(MDP.worker02, [0x03], text("c"), [])) == .worker(dialect: .rfc18, command: .partial, arguments: 3))
        #expect(Envelope.parse(frames(MDP.worker02, [0x06])) == .worker(dialect: .rfc18, command: .disconnect, arguments: 3))
    }

    @Test func commandBytesRoundTrip() {
        for version in [MDPVersion.v01, .v02] {
            for command in [WorkerCommand.ready, .request, .partial, .final, .heartbeat, .disconnect] {
                guard let byte = command.byte(in: version) else {
                    #expect(version == .v01 && command == .partial)
                    continue
                }
                #expect(WorkerCommand(byte: byte, version: version) == command)
            }
        }
    }

    @Test func malformedMessages() {
        #expect(Envelope.parse([peer]) == .malformed(.tooFewFrames))
        #expect(Envelope.parse(frames([], text("HTTP/1"))) == .malformed(.unknownProtocol))
        #expect(Envelope.parse(frames([])) == .malformed(.tooFewFrames))
        #expect(Envelope.parse(frames([], text("GET"))) == .malformed(.unknownProtocol))
        #expect(Envelope.parse(frames([], text("XXXXXX"), text("a"))) == .malformed(.unknownProtocol))
        #expect(Envelope.parse(frames([], MDP.worker01, [0x09])) == .malformed(.unknownCommand))
        #expect(Envelope.parse(frames(MDP.client02, [0x03], text("svc"))) == .malformed(.unexpectedCommand))
        #expect(Envelope.parse(frames([], MDP.client02, [0x02], text("svc"), text("body")))
                == .clientRequest(dialect: Dialect(version: .v02, delimited: true, workerNumberedClient: true), service: 4))
        #expect(Envelope.parse(frames([], MDP.client01)) == .malformed(.tooFewFrames))
    }

    /// The four protocol frames are read as what they name; a frame one byte off any of them,
    /// at any position, or one byte longer or shorter, names nothing (unless it is another of
    /// the four: MDPC01 and MDPC02 differ in one byte).
    @Test func protocolFramesAreRecognizedExactly() {
        let names = [(MDP.client01, false, MDPVersion.v01), (MDP.client02, false, .v02), (MDP.worker01, true, .v01), (MDP.worker02, true, .v02)]
        for (name, isWorker, version) in names {
            let frame = name.withUnsafeBytes { ProtocolFrame($0) }
            #expect(frame?.isWorker == isWorker && frame?.version == version, "\(name)")
            #expect(frame.map { "\($0.text)" } == String(decoding: name, as: UTF8.self), "the text sent is the text read")
            for position in name.indices {
                for delta: UInt8 in [1, 0x20, 0xFF] {
                    var altered = name
                    altered[position] &+= delta
                    let read = altered.withUnsafeBytes { ProtocolFrame($0) }
                    if let other = names.first(where: { $0.0 == altered }) {
                        #expect(read?.isWorker == other.1 && read?.version == other.2, "\(altered)")
                    } else {
                        #expect(read == nil, "\(altered)")
                    }
                }
            }
            #expect((name + [0x31]).withUnsafeBytes { ProtocolFrame($0) } == nil)
            #expect(name.dropLast().withUnsafeBytes { ProtocolFrame($0) } == nil)
        }
    }

    /// The byte check the broker makes agrees with the string prefix it stands for.
    @Test func managementNamesAreRecognizedByTheirBytes() {
        for name in ["", "m", "mmi", "mmi.", "mmi.service", "mmi.gate.fail", "MMI.stats", "mmi_stats", "xmmi.stats", "echo", "mmé.x"] {
            let bytes = Array(name.utf8)
            #expect(bytes.withUnsafeBytes(ManagementService.isManagement) == name.hasPrefix(ManagementService.prefix), "\(name)")
        }
    }

    @Test func randomFramesNeverCrashTheParser() {
        var generator = SplitMix64(seed: 11)
        let vocabulary: [[UInt8]] = [[], MDP.client01, MDP.client02, MDP.worker01, MDP.worker02, [1], [2], [3], [4], [5], [6], text("svc")]
        var seen = Set<String>()
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 7)
            let message = [peer] + (0..<count).map { _ in vocabulary[Int(generator.next() % UInt64(vocabulary.count))] }
            seen.insert("\(Envelope.parse(message))".prefix(12).description)
        }
        #expect(seen.count >= 3)
    }
}

@Suite struct EndpointTests {
    @Test func eventEndpointsDeriveFromTheRequestPort() {
        let endpoints = BrokerEndpoints(requests: "tcp://127.0.0.1:7000")
        #expect(endpoints.publish == "tcp://127.0.0.1:7001")
        #expect(endpoints.subscribe == "tcp://127.0.0.1:7002")
        let ipc = BrokerEndpoints(requests: "ipc:///tmp/colony")
        #expect(ipc.publish == "ipc:///tmp/colony.pub")
        #expect(BrokerEndpoints(requests: "tcp://h:1", publish: "tcp://h:9").publish == "tcp://h:9")
    }

    @Test func wildcardsBecomeLoopbackForConnecting() {
        #expect(BrokerEndpoints.connectable("tcp://*:5555") == "tcp://127.0.0.1:5555")
        #expect(BrokerEndpoints.connectable("tcp://0.0.0.0:5555") == "tcp://127.0.0.1:5555")
    }

    @Test func watchPatternsBecomePrefixes() {
        #expect(Topics.subscriptionPrefix(for: "workflow.*") == "workflow.")
        #expect(Topics.subscriptionPrefix(for: "*") == "")
        #expect(Topics.subscriptionPrefix(for: "agent.") == "agent.")
    }
}
