/// What a capability name may be, agreed by the broker, the SDKs and the workflow parser.
public enum CapabilityName {
    /// The longest name in UTF-8 bytes: every table keyed by capability costs at most this per name.
    public static let maximumBytes = 255
}
