@testable import ColonyBroker
import Testing

struct CapabilityLabelsTests {
    /// Offered names are always labelled as themselves; names nobody offered are, up to the
    /// limit, and later ones share one label, so clients cannot grow the metrics without bound.
    @Test func namesNobodyOfferedGetTheirOwnLabelOnlyUpToTheLimit() {
        var labels = CapabilityLabels(limit: 2)
        #expect(labels.label(for: "a", offered: false) == "a")
        #expect(labels.label(for: "b", offered: false) == "b")
        #expect(labels.label(for: "c", offered: false) == CapabilityLabels.other)
        #expect(labels.label(for: "a", offered: false) == "a", "a name keeps the label it got")
        #expect(labels.label(for: "c", offered: true) == "c")
        #expect(labels.label(for: "d", offered: false) == CapabilityLabels.other)
    }
}
