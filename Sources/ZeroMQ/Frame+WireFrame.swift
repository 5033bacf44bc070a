import ColonyCore

// ZeroMQ frames lend their bytes in place, so codecs read received messages without copies.
extension Frame: WireFrame {}
extension MessagePart: WireFrame {}
