// The SDK's public API speaks in these modules' types (`WireError`, `ErrorCode`, `JSONValue`,
// `BrokerEndpoints`, `CapabilityDescription`…): an agent imports ColonyAgent alone.
@_exported import ColonyCore
@_exported import ColonyWire
