import Ingest
import Testing

/// The rate limiter of rejected lines, on a clock the test moves.
@Suite struct TokenBucketTests {
    let start = ContinuousClock.now

    @Test func aFullBucketGivesItsBurstAtOnceThenRefuses() {
        var bucket = TokenBucket(rate: 100, burst: 1000)
        let taken = (0..<1500).filter { _ in bucket.take(now: start) }.count
        #expect(taken == 1000)
    }

    @Test func tokensComeBackAtTheRate() {
        var bucket = TokenBucket(rate: 100, burst: 1000)
        while bucket.take(now: start) {}
        let later = start + .milliseconds(250)
        let taken = (0..<100).filter { _ in bucket.take(now: later) }.count
        #expect(taken == 25)
    }

    @Test func aLongPauseRefillsNoMoreThanTheBurst() {
        var bucket = TokenBucket(rate: 100, burst: 1000)
        while bucket.take(now: start) {}
        let much = start + .seconds(3600)
        let taken = (0..<5000).filter { _ in bucket.take(now: much) }.count
        #expect(taken == 1000)
    }

    @Test func aCostlyTakeThatDoesNotFitTakesNothing() {
        var bucket = TokenBucket(rate: 1, burst: 10)
        let takes = [bucket.take(8, now: start), bucket.take(3, now: start), bucket.take(2, now: start)]
        #expect(takes == [true, false, true])
    }
}
