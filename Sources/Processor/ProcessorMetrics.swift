import Gateway

/// Everything `/metrics` shows about the processor. Counters are atomics, so the loop thread bumps them without
/// locks and a scrape reads them at any time.
final class ProcessorMetrics: Sendable {
    let entriesRead = Counter()
    let pointsWritten = Counter()
    let entriesAcked = Counter()
    let deadLetters: [Counter] = DeadLetterReason.labels.map { _ in Counter() }
    let sinkWrites = Counter()
    let sinkFailures = Counter()
    let entriesClaimed = Counter()
    let trims = Counter()
    /// 1 while the last InfluxDB request (write or ping) got an answer that was not a server error.
    let sinkUp = Gauge()
    /// From `XINFO GROUPS`: entries in the stream not yet delivered to the group, and delivered but not acked.
    let groupLag = Gauge()
    let groupPending = Gauge()
    /// From the request to the last response byte of one InfluxDB write.
    let sinkWriteDuration = Histogram(upperBounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    /// Write time minus `received_at`: how long an event took from the gateway's answer to InfluxDB.
    let endToEndDelay = Histogram(upperBounds: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60, 300])
    let batchSize = Histogram(upperBounds: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000])

    func prometheusText(redisUp: Bool, redisReconnects: Int, uptimeSeconds: Double) -> [UInt8] {
        var out = PrometheusWriter()
        out.family("processor_entries_read_total", "counter", "Stream entries read (new, pending and claimed).")
        out.sample("processor_entries_read_total", entriesRead.value)
        out.family("processor_entries_claimed_total", "counter", "Entries claimed from idle consumers with XAUTOCLAIM.")
        out.sample("processor_entries_claimed_total", entriesClaimed.value)
        out.family("processor_points_written_total", "counter", "Points InfluxDB accepted (2xx).")
        out.sample("processor_points_written_total", pointsWritten.value)
        out.family("processor_entries_acked_total", "counter", "Entries acknowledged with XACK.")
        out.sample("processor_entries_acked_total", entriesAcked.value)
        out.family("processor_dead_letters_total", "counter", "Entries sent to the dead-letter stream, by reason.")
        for (index, label) in DeadLetterReason.labels.enumerated() {
            out.sample("processor_dead_letters_total", labels: [("reason", label)], deadLetters[index].value)
        }
        out.family("processor_sink_writes_total", "counter", "InfluxDB write requests answered 2xx.")
        out.sample("processor_sink_writes_total", sinkWrites.value)
        out.family("processor_sink_failures_total", "counter", "InfluxDB write requests that failed and were retried.")
        out.sample("processor_sink_failures_total", sinkFailures.value)
        out.histogram(
            "processor_sink_write_duration_seconds", "Duration of one InfluxDB write request.", sinkWriteDuration)
        out.histogram(
            "processor_end_to_end_delay_seconds", "Time written to InfluxDB minus received_at.", endToEndDelay)
        out.histogram("processor_batch_entries", "Entries per batch.", batchSize)
        out.family("processor_sink_up", "gauge", "1 when InfluxDB answered the last request.")
        out.sample("processor_sink_up", sinkUp.value)
        out.family("processor_redis_up", "gauge", "1 when the Redis connection is up.")
        out.sample("processor_redis_up", redisUp ? 1 : 0)
        out.family("processor_redis_reconnects_total", "counter", "Times the Redis connection was re-established.")
        out.sample("processor_redis_reconnects_total", redisReconnects)
        out.family("processor_group_lag", "gauge", "Entries not yet delivered to the group (XINFO GROUPS lag).")
        out.sample("processor_group_lag", groupLag.value)
        out.family("processor_group_pending", "gauge", "Entries delivered to the group and not yet acknowledged.")
        out.sample("processor_group_pending", groupPending.value)
        out.family("processor_stream_trims_total", "counter", "XTRIM MINID commands sent (--trim-processed).")
        out.sample("processor_stream_trims_total", trims.value)
        out.family("processor_uptime_seconds", "gauge", "Seconds since the processor started.")
        out.sample("processor_uptime_seconds", uptimeSeconds)
        return out.bytes
    }
}
