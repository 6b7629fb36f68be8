/// The known word closest to a misspelt one, for "did you mean" hints; nil when none is close.
///
/// Close means at most two edits and fewer than half the word, so that `shutdown-timeout` finds
/// `shutdown_timeout` but `size` does not suggest `name`.
func closestWord(to word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { (candidate: $0, distance: editDistance(word, $0)) }
    guard let best = scored.min(by: { $0.distance < $1.distance }),
        best.distance <= 2, best.distance * 2 < word.count
    else { return nil }
    return best.candidate
}

/// Levenshtein distance: insertions, deletions and substitutions of characters.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for (i, charA) in a.enumerated() {
        var current = [i + 1]
        for (j, charB) in b.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (charA == charB ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}
