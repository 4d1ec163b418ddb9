/// The spool's numbers (`gateway_spool_*`). Present, and zero, when the spool is off, so dashboards need no special
/// case.
final class SpoolMetrics: Sendable {
    /// Bytes of the segment files not yet deleted: what `--spool-max-bytes` bounds.
    let bytes = Gauge()
    /// Events fdatasync'd in the spool and not yet acknowledged by Redis.
    let events = Gauge()
    let appended = Counter()
    let forwarded = Counter()
    let corruptRecords = Counter()
    /// One observation per group commit: a group's fdatasync, whatever number of requests it covers.
    let fsyncDuration = Histogram(upperBounds: [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
    ])

    func write(into out: inout PrometheusWriter) {
        out.family(
            "gateway_spool_bytes", "gauge", "Bytes in the disk spool's segment files (bounded by --spool-max-bytes).")
        out.sample("gateway_spool_bytes", bytes.value)
        out.family("gateway_spool_events", "gauge", "Events on disk in the spool and not yet acknowledged by Redis.")
        out.sample("gateway_spool_events", events.value)
        out.family(
            "gateway_spool_appended_total", "counter",
            "Events appended to the spool and fdatasync'd (each answered 200).")
        out.sample("gateway_spool_appended_total", appended.value)
        out.family("gateway_spool_forwarded_total", "counter", "Spooled events acknowledged by Redis.")
        out.sample("gateway_spool_forwarded_total", forwarded.value)
        out.histogram(
            "gateway_spool_fsync_duration_seconds", "Duration of each group commit's fdatasync.", fsyncDuration)
        out.family(
            "gateway_spool_corrupt_records_total", "counter", "Damaged spool records moved aside, not forwarded.")
        out.sample("gateway_spool_corrupt_records_total", corruptRecords.value)
    }
}
