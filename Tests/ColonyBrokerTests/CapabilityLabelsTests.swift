@testable import ColonyBroker
import Testing

struct CapabilityLabelsTests {
    /// Names nobody offered get a label of their own up to their limit, offered names up to the
    /// overall limit; later ones share one label, so peers cannot grow the metrics without bound.
    @Test func namesGetTheirOwnLabelOnlyUpToTheLimits() {
        var labels = CapabilityLabels(unofferedLimit: 2, limit: 4)
        #expect(labels.label(for: "a", offered: false) == "a")
        #expect(labels.label(for: "b", offered: false) == "b")
        #expect(labels.label(for: "c", offered: false) == CapabilityLabels.other)
        #expect(labels.label(for: "a", offered: false) == "a", "a name keeps the label it got")
        #expect(labels.label(for: "c", offered: true) == "c", "an offered name is not held to the unoffered limit")
        #expect(labels.label(for: "d", offered: false) == CapabilityLabels.other)
        #expect(labels.label(for: "d", offered: true) == "d")
        #expect(labels.label(for: "e", offered: true) == CapabilityLabels.other, "four names in all")
        #expect(labels.label(for: "b", offered: true) == "b")
    }
}
