//! What the criterion benchmarks share: one short measurement configuration.

use criterion::Criterion;
use std::time::Duration;

/// Half a second of warm-up, two seconds and ten samples per benchmark: the figures the
/// benches print themselves (ratios measured in one run) are the point, criterion's are
/// a cross-check.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
}
