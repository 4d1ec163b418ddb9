import Gateway
import Reactor
import RespClient

extension Processor {
    /// Reader lane: a batch was read; count its deliveries if it was read before, encode it, hand it over.
    func received(_ newBatch: Batch) {
        metrics.entriesRead.add(newBatch.entries.count)
        metrics.batchSize.observe(Double(newBatch.entries.count))
        if newBatch.source == .new {
            // A `>` read is each entry's first delivery: nothing to count.
            encoded(newBatch, deliveries: [:])
        } else {
            countDeliveries(newBatch)
        }
    }

    /// Entries read again (own pending after a restart, or claimed) carry a delivery count: one over
    /// `--max-deliveries` means it keeps failing (or crashing processors) and goes to the dead letters.
    private func countDeliveries(_ newBatch: Batch) {
        guard let first = newBatch.entries.first, let last = newBatch.entries.last else { return }
        readPhase = .countingDeliveries
        RedisCall.submit(
            [
                .staticString("XPENDING"), .string(config.stream), .string(config.group), .string(first.id),
                .string(last.id), .integer(newBatch.entries.count), .string(config.consumer),
            ], on: commands
        ) { [self] result in
            switch result {
            case .success(.array(let rows)):
                redisFailures = 0
                var deliveries: [String: Int] = [:]
                for row in rows {
                    guard case .array(let columns) = row, columns.count >= 4, let id = columns[0].string,
                        let count = columns[3].integerValue
                    else { continue }
                    deliveries[id] = count
                }
                encoded(newBatch, deliveries: deliveries)
            case .success:
                encoded(newBatch, deliveries: [:])
            case .failure(let error):
                retryRead("XPENDING", error) { $0.countDeliveries(newBatch) }
            }
        }
    }

    /// Encodes `encodeSliceEntries` entries per loop turn, so that the socket writes and reads of the batch
    /// being written to InfluxDB are not held up behind a whole batch of encoding. The batch stays in `encoding`
    /// meanwhile: handed from turn to turn as a value, its lines (up to a megabyte) were copied at every turn.
    private func encoded(_ newBatch: Batch, deliveries: [String: Int]) {
        encoding = newBatch
        encodeSlice(from: 0, deliveries: deliveries)
    }

    private func encodeSlice(from start: Int, deliveries: [String: Int]) {
        guard encoding != nil else { return }
        let end = min(start + Self.encodeSliceEntries, encoding!.entries.count)
        encoding!.encode(start..<end, with: &encoder, deliveries: deliveries, maxDeliveries: config.maxDeliveries)
        if end < encoding!.entries.count {
            readPhase = .encoding
            loop.scheduleTimer(after: .zero) { [weak self] in
                guard let self, self.lifecycle != .stopped else { return }
                self.encodeSlice(from: end, deliveries: deliveries)
            }
            return
        }
        var next = encoding!
        encoding = nil
        next.planWrite()
        ready.append(next)
        readPhase = .idle
        startWriting()
        readNext()
    }

    /// Writer lane: takes the ready batch when idle, and lets the reader fetch the one after it meanwhile.
    func startWriting() {
        guard writePhase == .idle, batch == nil, !ready.isEmpty else {
            checkStopped()
            return
        }
        batch = ready.removeFirst()
        writeNextRange()
        if readPhase == .idle && lifecycle != .stopped { readNext() }
    }

    // MARK: Writing

    /// Writes the next unwritten range of points; acknowledges once none is left.
    func writeNextRange() {
        guard let current = batch else { return }
        guard let range = current.unwritten.last else {
            acknowledge()
            return
        }
        writePhase = .writing
        let request = InfluxWriteRequest.write(
            api: config.sinkAPI, host: config.influx.host, body: current.body(for: range))
        let clock = SystemClock()
        let started = clock.now()  // not `loop.now`: the tick began before this batch was decoded and encoded
        sink.send(request) { [self] result in
            let seconds = Double(clock.now().nanoseconds(since: started)) / 1e9
            metrics.sinkWriteDuration.observe(seconds)
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                sinkAnswered(up: true)
                metrics.sinkWrites.add()
                metrics.pointsWritten.add(range.count)
                observeDelay(range)
                batch?.unwritten.removeLast()
                batch?.written += range.count
                writeNextRange()
            case .success(let response) where [400, 413, 422].contains(response.status):
                // The request reached a healthy InfluxDB that refused some of the points (400: a field-type
                // conflict or a line it cannot parse; 422: outside the retention period) or the size (413).
                // InfluxDB does not say which points, so halve until the bad one is alone; the halves that
                // are fine are written (again, harmlessly: the same points, the same keys).
                sinkAnswered(up: true)
                batch?.unwritten.removeLast()
                if range.count == 1 {
                    let entry = batch!.pointEntry[range.lowerBound]
                    let detail = "influxdb \(response.status): \(response.bodyText.prefix(400))"
                    batch?.deadLetters.append((entry, .rejected(detail)))
                } else {
                    let middle = range.lowerBound + range.count / 2
                    // Written in order: the stack pops the first half first.
                    batch?.unwritten.append(middle..<range.upperBound)
                    batch?.unwritten.append(range.lowerBound..<middle)
                }
                writeNextRange()
            case .success(let response):
                sinkFailed(
                    "influxdb answered \(response.status): \(response.bodyText.prefix(200))", up: response.status < 500)
            case .failure(let error):
                sinkFailed("\(error)", up: false)
            }
        }
    }

    private func observeDelay(_ range: Range<Int>) {
        guard let batch else { return }
        let now = wallClockMilliseconds()
        for index in range {
            if let receivedAt = batch.receivedAt[index] {
                metrics.endToEndDelay.observe(Double(max(0, now - receivedAt)) / 1000)
            }
        }
    }

    func sinkAnswered(up: Bool) {
        lastSinkAnswer = loop.now
        if up && metrics.sinkUp.value == 0 && sinkFailures > 0 {
            logger.info("influxdb writes succeed again", ["after_failures": "\(sinkFailures)"])
        }
        metrics.sinkUp.set(up ? 1 : 0)
        if up { sinkFailures = 0 }
    }

    /// The write did not reach InfluxDB or InfluxDB could not take it: retry the same points after a back-off,
    /// reading nothing new meanwhile. Nothing is dead-lettered for a sink outage.
    private func sinkFailed(_ reason: String, up: Bool) {
        metrics.sinkFailures.add()
        metrics.sinkUp.set(0)
        if sinkFailures == 0 || sinkFailures % 10 == 0 {
            logger.warn("influxdb write failed; retrying", ["error": reason, "failures": "\(sinkFailures + 1)"])
        }
        let delay = Self.backoff(attempt: sinkFailures, base: Self.sinkRetryBase, max: Self.sinkRetryMax)
        sinkFailures += 1
        writePhase = .waitingToRetryWrite
        loop.scheduleTimer(after: delay) { [weak self] in
            guard let self, self.writePhase == .waitingToRetryWrite, self.lifecycle != .stopped else { return }
            self.writeNextRange()
        }
    }

    // MARK: Acknowledging

    /// Dead letters first, then one XACK for the whole batch, in one pipelined write. A dead letter is written
    /// before its entry is acked, so a crash in between leaves the entry pending (dead-lettered again later, never
    /// lost).
    func acknowledge() {
        guard let current = batch else { return }
        writePhase = .acknowledging
        var commandList: [[RESPArgument]] = []
        for (index, reason) in current.deadLetters {
            let entry = current.entries[index]
            var arguments: [RESPArgument] = [
                .staticString("XADD"), .string(config.deadLetterStream), .staticString("*"),
                .staticString("original_id"), .string(entry.id), .staticString("reason"), .string(reason.label),
                .staticString("detail"), .string(reason.detail),
            ]
            for field in entry.fields ?? [] {
                arguments.append(.bytes(field.name))
                arguments.append(.bytes(field.value))
            }
            commandList.append(arguments)
        }
        var ack: [RESPArgument] = [.staticString("XACK"), .string(config.stream), .string(config.group)]
        for entry in current.entries { ack.append(.string(entry.id)) }
        commandList.append(ack)
        RedisCall.submit(commandList, on: commands) { [self] results in
            var deadLettersDone: [Int] = []
            for (position, result) in results.dropLast().enumerated() {
                if case .success = result { deadLettersDone.append(position) }
            }
            // Dead letters written are not written again if the XACK must be retried.
            for position in deadLettersDone.reversed() {
                let reason = batch!.deadLetters[position].reason
                metrics.deadLetters[reason.labelIndex].add()
                logger.debug(
                    "dead letter",
                    [
                        "id": batch!.entries[batch!.deadLetters[position].entry].id,
                        "reason": reason.label, "detail": reason.detail,
                    ])
                batch!.deadLetters.remove(at: position)
            }
            switch results.last! {
            case .success(let reply) where batch!.deadLetters.isEmpty:
                redisFailures = 0
                metrics.entriesAcked.add(reply.integerValue ?? 0)
                batch = nil
                writePhase = .idle
                startWriting()
            case .success:
                retryAck("XADD dead letter", .notConnected("dead letter not written"))
            case .failure(let error):
                retryAck("XACK", error)
            }
        }
    }

    private func retryAck(_ what: String, _ error: RedisError) {
        writePhase = .waitingToRetryAck
        scheduleRedisRetry(what, error) { processor in
            guard processor.writePhase == .waitingToRetryAck else { return }
            processor.acknowledge()
        }
    }
}
