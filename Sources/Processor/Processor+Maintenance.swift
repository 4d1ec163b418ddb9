import Reactor
import RespClient

extension Processor {
    /// Every `maintenanceInterval`: group lag and pending count for /metrics, a ping when InfluxDB has not been
    /// heard from lately, and with `--trim-processed` an `XTRIM MINID` of what the group no longer needs.
    func scheduleMaintenance(after delay: Duration) {
        loop.scheduleTimer(after: delay) { [weak self] in
            guard let self, self.lifecycle != .stopped else { return }
            self.maintain()
            self.scheduleMaintenance(after: Self.maintenanceInterval)
        }
    }

    private func maintain() {
        pingIfQuiet()
        // XINFO GROUPS before the XPENDING summary, in one pipeline: Redis runs them in that order, which is what
        // makes the trim point below safe (see `trimPoint`).
        RedisCall.submit(
            [
                [.staticString("XINFO"), .staticString("GROUPS"), .string(config.stream)],
                [.staticString("XPENDING"), .string(config.stream), .string(config.group)],
            ], on: commands
        ) { [self] results in
            guard case .success(let groupsReply) = results[0], case .success(let pendingReply) = results[1] else {
                return
            }
            var ours: [String: RESPValue]?
            if case .array(let groups) = groupsReply {
                ours = groups.map(\.fieldDictionary).first { $0["name"]?.string == config.group }
            }
            guard let ours else { return }
            if let lag = ours["lag"]?.integerValue { metrics.groupLag.set(lag) }
            var oldestPending: String?
            if case .array(let summary) = pendingReply, summary.count >= 2 {
                metrics.groupPending.set(summary[0].integerValue ?? 0)
                if (summary[0].integerValue ?? 0) > 0 { oldestPending = summary[1].string }
            }
            if config.trimProcessed,
                let minimum = Self.trimPoint(
                    oldestPending: oldestPending, lastDelivered: ours["last-delivered-id"]?.string)
            {
                trim(to: minimum)
            }
        }
    }

    /// The oldest entry the group still needs: its oldest pending entry, else the last one it delivered (all older
    /// ones are acked). Entries not yet delivered are newer than both, so trimming below this point removes only
    /// processed entries. The pending count is read after `last-delivered-id`, so an entry delivered in between
    /// is newer than the last-delivered ID that was read, and is kept.
    static func trimPoint(oldestPending: String?, lastDelivered: String?) -> String? {
        if let oldestPending { return oldestPending }
        guard let lastDelivered, lastDelivered != "0-0" else { return nil }
        return lastDelivered
    }

    private func trim(to minimum: String) {
        // `~` lets Redis drop whole radix-tree nodes only: cheap, and it never removes an entry at or above MINID.
        RedisCall.submit(
            [
                .staticString("XTRIM"), .string(config.stream), .staticString("MINID"), .staticString("~"),
                .string(minimum),
            ], on: commands
        ) { [self] result in
            if case .success(let removed) = result {
                metrics.trims.add()
                if let count = removed.integerValue, count > 0 {
                    logger.debug("trimmed processed entries", ["removed": "\(count)", "minid": minimum])
                }
            }
        }
    }

    /// `/ready` needs to know whether InfluxDB answers even when nothing is written.
    private func pingIfQuiet() {
        guard !pinger.isBusy, writePhase != .writing else { return }
        if let lastSinkAnswer, loop.now.nanoseconds(since: lastSinkAnswer) < Self.maintenanceInterval.nanosecondsClamped
        {
            return
        }
        pinger.send(InfluxWriteRequest.ping(host: config.influx.host)) { [self] result in
            switch result {
            case .success(let response) where response.status < 500:
                if writePhase != .waitingToRetryWrite { sinkAnswered(up: true) }
            default:
                metrics.sinkUp.set(0)
            }
        }
    }
}
