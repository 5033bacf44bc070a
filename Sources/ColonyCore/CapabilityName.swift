/// What a capability name may be, agreed by the broker, the SDKs and the workflow parser.
public enum CapabilityName {
    /// The longest name in UTF-8 bytes: every table keyed by capability (queues, metrics, access
    /// verdicts) costs at most this per name. A broker refuses longer ones in requests and READY.
    public static let maximumBytes = 255
}
