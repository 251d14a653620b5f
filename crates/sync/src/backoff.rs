//! Retry delays after a failed sync: exponential with full jitter, so a fleet of
//! workstations coming back online does not hit the server in step.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
    seed: u64,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Backoff {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            | 1;
        Backoff { base, max, failures: 0, seed }
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// Records a failure and returns how long to wait: uniformly in
    /// [ceiling / 2, ceiling], ceiling = min(max, base * 2^failures).
    pub fn failed(&mut self) -> Duration {
        let exp = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        let ceiling = self.base.saturating_mul(1 << exp).min(self.max);
        let half = ceiling / 2;
        half + half.mul_f64(self.next_unit())
    }

    // xorshift64*: enough for jitter, no dependency.
    fn next_unit(&mut self) -> f64 {
        self.seed ^= self.seed >> 12;
        self.seed ^= self.seed << 25;
        self.seed ^= self.seed >> 27;
        let x = self.seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let mut seen = Vec::new();
        for n in 0..10u32 {
            let d = b.failed();
            let ceiling = Duration::from_secs(1u64 << n).min(Duration::from_secs(60));
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "failure {n}: {d:?} outside [{:?}, {ceiling:?}]",
                ceiling / 2
            );
            seen.push(d);
        }
        assert_eq!(b.failures(), 10);
        // Jitter: the capped delays are not all equal.
        assert!(seen[6..].windows(2).any(|w| w[0] != w[1]), "{seen:?}");
        b.succeeded();
        assert!(b.failed() <= Duration::from_secs(1));
    }
}
