import Reactor

/// Finding out what the server is, reading and applying the slot map, following redirects. All on the loop thread.
extension RedisRouter {
    /// `MOVED` replies arrive by the hundred while a slot migrates; one map refresh per this interval is enough to
    /// learn the new owner without sending the cluster a `CLUSTER SHARDS` per redirected command.
    static let minimumRefreshSpacing: Duration = .milliseconds(100)

    /// Nodes the control connection may use, in order: the seeds, then every node of the latest map.
    var candidates: [ClusterEndpoint] {
        var nodes = configuration.url.seeds
        let map = routing.withLock { $0.map }
        for shard in map?.shards ?? [] {
            for node in [shard.primary] + shard.replicas where !nodes.contains(node) { nodes.append(node) }
        }
        return nodes
    }

    // MARK: The control connection and the mode

    func openControl() {
        guard !stopped else { return }
        let nodes = candidates
        let endpoint = nodes[controlIndex % nodes.count]
        // A cluster has only database 0, and refuses SELECT of any other.
        let database = isCluster ? 0 : configuration.url.database
        let connection = connect(to: endpoint, database: database) { router, connection, status in
            router.controlChanged(connection, status)
        }
        routing.withLock { $0.control = connection }
    }

    private func controlChanged(_ connection: RedisConnection, _ status: RedisStatus) {
        let (mode, current) = routing.withLock { ($0.mode, $0.control) }
        guard connection === current, !stopped else { return }
        switch mode {
        case .standalone:
            announceIfChanged()
        case .discovering:
            if status.state == .up {
                askMode(on: connection)
            } else if configuration.url.seeds.count > 1 {
                scheduleControlRotation()
            }
        case .cluster:
            if status.state == .up {
                if !isUp { requestRefresh() }
            } else {
                routing.withLock { $0.lastError = status.lastError }
                scheduleControlRotation()
            }
        }
    }

    /// Moves the control connection to the next known node after `degradedRefreshInterval`, so nodes that are all
    /// down are tried at that pace rather than in a busy loop.
    private func scheduleControlRotation() {
        guard !rotationScheduled else { return }
        rotationScheduled = true
        _ = loop.scheduleTimer(after: Self.degradedRefreshInterval) { [self] in
            rotationScheduled = false
            guard !stopped else { return }
            let control = routing.withLock { $0.control }
            guard control?.isUp != true else { return }
            control?.shutdown()
            controlIndex += 1
            openControl()
        }
    }

    /// `INFO cluster`: `cluster_enabled:1` makes this a cluster client; anything else, an error reply included (a
    /// server or proxy that does not know the section), a standalone one. A lost link asks again on the next up.
    private func askMode(on connection: RedisConnection) {
        send(["INFO", "cluster"], on: connection) { [self] result in
            guard !stopped, routing.withLock({ $0.control }) === connection else { return }
            switch result {
            case .success(let reply) where reply.string?.contains("cluster_enabled:1") == true:
                routing.withLock { $0.mode = .cluster }
                onTopology?("redis cluster")
                requestRefresh()
            case .success, .failure(.server):
                routing.withLock { $0.mode = .standalone(connection) }
                publishStandalone(connection)
                onTopology?("redis standalone")
                announceIfChanged()
            case .failure:
                break
            }
        }
    }

    // MARK: The slot map

    /// Refreshes the map now, or as soon as `minimumRefreshSpacing` allows.
    func requestRefresh() {
        guard !refreshInFlight, !stopped else { return }
        if let last = lastRefreshStarted, loop.now < last + Self.minimumRefreshSpacing {
            scheduleRefresh(at: last + Self.minimumRefreshSpacing)
        } else {
            refresh()
        }
    }

    /// Keeps the earlier of the armed refresh and `deadline`.
    private func scheduleRefresh(at deadline: MonotonicInstant) {
        if let armed = refreshTimer {
            if armed.deadline <= deadline { return }
            loop.cancelTimer(armed.id)
        }
        let id = loop.scheduleTimer(at: deadline) { [self] in
            refreshTimer = nil
            requestRefresh()
        }
        refreshTimer = (id, deadline)
    }

    /// Reads the map from a primary that is up (the control connection if none is), `CLUSTER SHARDS` first.
    private func refresh() {
        let (connections, control) = routing.withLock { (Array($0.connections.values), $0.control) }
        guard let source = connections.filter(\.isUp).randomElement() ?? (control?.isUp == true ? control : nil) else {
            scheduleRefresh(at: loop.now + Self.degradedRefreshInterval)
            return
        }
        refreshInFlight = true
        lastRefreshStarted = loop.now
        send(["CLUSTER", "SHARDS"], on: source) { [self] result in
            switch result {
            case .success(let reply):
                refreshed(Result { () throws(ClusterMapError) in try ClusterSlotMap(shardsReply: reply) })
            case .failure(.server):
                // Before Redis 7 there is no CLUSTER SHARDS.
                send(["CLUSTER", "SLOTS"], on: source) { [self] result in
                    switch result {
                    case .success(let reply):
                        refreshed(Result { () throws(ClusterMapError) in try ClusterSlotMap(slotsReply: reply) })
                    case .failure(let error):
                        refreshed(.failure(.malformed("CLUSTER SLOTS: \(error)")))
                    }
                }
            case .failure(let error):
                refreshed(.failure(.malformed("CLUSTER SHARDS: \(error)")))
            }
        }
    }

    private func refreshed(_ result: Result<ClusterSlotMap, ClusterMapError>) {
        refreshInFlight = false
        guard !stopped else { return }
        switch result {
        case .success(let map):
            apply(map)
        case .failure(let error):
            routing.withLock { $0.lastError = "\(error)" }
        }
        announceIfChanged()
        scheduleRefresh(at: loop.now + (isUp ? Self.healthyRefreshInterval : Self.degradedRefreshInterval))
    }

    /// Swaps the map in, opens a connection to each new primary and closes those to nodes that are no longer primaries
    /// once nothing is in flight on them (until then their replies are still awaited).
    private func apply(_ map: ClusterSlotMap) {
        let primaries = Set(map.shards.map(\.primary))
        var connections = routing.withLock { $0.connections }
        let before = Set(connections.keys)
        for primary in primaries where connections[primary] == nil {
            connections[primary] = connectPrimary(primary)
        }
        var retired: [RedisConnection] = []
        for (endpoint, connection) in connections
        where !primaries.contains(endpoint) && connection.commandsInFlight == 0 {
            retired.append(connection)
            connections[endpoint] = nil
        }
        let changed = routing.withLock { routing in
            defer {
                routing.map = map
                routing.connections = connections
            }
            guard let old = routing.map else { return true }
            return !old.hasSameOwners(as: map)
        }
        for connection in retired { connection.shutdown() }
        if changed || Set(connections.keys) != before {
            let owners = map.shards.map { "\($0.primary)" }.sorted().joined(separator: ",")
            onTopology?("redis cluster map: primaries \(owners), complete: \(map.isComplete)")
        }
    }

    private func connectPrimary(_ endpoint: ClusterEndpoint) -> RedisConnection {
        connect(to: endpoint, database: 0) { router, connection, status in
            router.primaryChanged(endpoint, connection, status)
        }
    }

    private func primaryChanged(_ endpoint: ClusterEndpoint, _ connection: RedisConnection, _ status: RedisStatus) {
        guard !stopped, routing.withLock({ $0.connections[endpoint] }) === connection else { return }
        if status.state != .up {
            routing.withLock { $0.lastError = "\(endpoint): \(status.lastError ?? "down")" }
            requestRefresh()
        }
        announceIfChanged()
    }

    // MARK: Redirects

    /// Sends a redirected submission to the node the redirect names: after `MOVED` as it is (and the map learns the
    /// slot's new owner), after `ASK` behind an `ASKING`. A node without a connection yet gets one for the next
    /// submissions, and this one fails as not sent.
    func follow(_ redirect: ClusterRedirect, for submission: ClusterSubmission) {
        let connection: RedisConnection? = routing.withLock { routing in
            switch redirect.kind {
            case .moved:
                routing.movedRedirects += 1
                routing.map = routing.map?.moving(redirect.slot, to: redirect.endpoint)
            case .ask:
                routing.askRedirects += 1
            }
            return routing.connections[redirect.endpoint]
        }
        if redirect.kind == .moved { requestRefresh() }
        guard let connection else {
            let opened = connectPrimary(redirect.endpoint)
            routing.withLock { $0.connections[redirect.endpoint] = opened }
            submission.fail(.notConnected("redirected to \(redirect.endpoint), not connected yet"))
            return
        }
        var bytes: [UInt8] = []
        if redirect.kind == .ask { RESPEncoder.appendCommand([.staticString("ASKING")], to: &bytes) }
        submission.repliesToSkip = redirect.kind == .ask ? 1 : 0
        submission.sentTo = redirect.endpoint
        bytes += submission.commands
        let submitted = bytes.withUnsafeBytes { raw in
            Result { () throws(RedisError) in
                try connection.submit(
                    encoded: raw, commandCount: submission.commandCount + submission.repliesToSkip,
                    handler: submission)
            }
        }
        if case .failure(let error) = submitted { submission.fail(error) }
    }

    // MARK: Commands of its own

    private func send(
        _ words: [String], on connection: RedisConnection,
        _ body: @escaping (Result<RESPValue, RedisError>) -> Void
    ) {
        var bytes: [UInt8] = []
        RESPEncoder.appendCommand(words.map { .string($0) }, to: &bytes)
        let submitted = bytes.withUnsafeBytes { raw in
            Result { () throws(RedisError) in
                try connection.submit(encoded: raw, commandCount: 1, handler: RedisReplyCallback(body))
            }
        }
        if case .failure(let error) = submitted { body(.failure(error)) }
    }
}
