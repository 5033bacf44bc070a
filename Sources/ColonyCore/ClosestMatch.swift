/// The known word closest to `word`, if it is close enough to be a likely typo (an edit
/// distance of at most max(2, a third of its length)). Candidates whose length alone puts them
/// further away are not compared, so a long word or many candidates cost little: the broker
/// answers typos from peers with it on its routing thread.
public func closestMatch(to word: String, in candidates: [String]) -> String? {
    let target = Array(word.lowercased())
    let limit = max(2, target.count / 3)
    var best: (word: String, distance: Int)?
    for candidate in candidates where abs(candidate.count - target.count) <= limit {
        let distance = editDistance(target, Array(candidate.lowercased()))
        if distance <= limit, distance < best?.distance ?? .max { best = (candidate, distance) }
    }
    return best?.word
}

/// "did you mean 'math.add'?" for the closest match, if there is one: the hint every "unknown
/// name" message gives.
public func didYouMean(_ word: String, in candidates: [String]) -> String? {
    closestMatch(to: word, in: candidates).map { "did you mean '\($0)'?" }
}

/// Levenshtein distance.
private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    var previous = Array(0...b.count)
    for (i, ca) in a.enumerated() {
        var current = [i + 1]
        for (j, cb) in b.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}
