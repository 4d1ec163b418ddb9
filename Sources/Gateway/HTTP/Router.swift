import Reactor

/// The gateway's endpoints. Routing compares path bytes; no closures, no allocation.
enum Route: CaseIterable {
    case telemetry, health, ready, status, metrics, start, stop

    var label: RouteLabel {
        switch self {
        case .telemetry: .telemetry
        case .health: .health
        case .ready: .ready
        case .status: .status
        case .metrics: .metrics
        case .start: .start
        case .stop: .stop
        }
    }

    private var path: StaticString {
        switch self {
        case .telemetry: "/telemetry"
        case .health: "/health"
        case .ready: "/ready"
        case .status: "/status"
        case .metrics: "/metrics"
        case .start: "/start"
        case .stop: "/stop"
        }
    }

    private var isReadOnly: Bool {
        switch self {
        case .health, .ready, .status, .metrics: true
        case .telemetry, .start, .stop: false
        }
    }

    func allows(_ method: HTTPMethod) -> Bool {
        isReadOnly ? (method == .get || method == .head) : method == .post
    }

    var allowHeader: String { isReadOnly ? "GET, HEAD" : "POST" }

    /// The route for a request head, or the 404/405 response that answers it.
    static func resolve(_ head: HTTPRequestHead) -> Result<Route, RoutingFailure> {
        guard let route = allCases.first(where: { head.pathEquals($0.path) }) else {
            return .failure(RoutingFailure(label: .unmatched, response: Responses.error(404, "no such endpoint: \(head.method) \(head.path)")))
        }
        guard route.allows(head.method) else {
            return .failure(RoutingFailure(label: route.label, response: Responses.error(
                405, "\(head.method) is not allowed on \(head.path); use \(route.allowHeader)",
                headers: [(name: "Allow", value: route.allowHeader)])))
        }
        return .success(route)
    }
}

struct RoutingFailure: Error {
    let label: RouteLabel
    let response: HTTPResponse
}
