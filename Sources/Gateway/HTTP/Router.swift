import Reactor

/// The gateway's endpoints. Routing compares path bytes; no closures, no allocation.
enum Route: CaseIterable {
    case telemetry, health, ready, status, metrics, start, stop
    /// The operator console's page and assets (`ConsoleSite` lists the paths).
    case console

    var label: RouteLabel {
        switch self {
        case .telemetry: .telemetry
        case .health: .health
        case .ready: .ready
        case .status: .status
        case .metrics: .metrics
        case .start: .start
        case .stop: .stop
        case .console: .console
        }
    }

    private var path: StaticString? {
        switch self {
        case .telemetry: "/telemetry"
        case .health: "/health"
        case .ready: "/ready"
        case .status: "/status"
        case .metrics: "/metrics"
        case .start: "/start"
        case .stop: "/stop"
        case .console: nil
        }
    }

    private var isReadOnly: Bool {
        switch self {
        case .health, .ready, .status, .metrics, .console: true
        case .telemetry, .start, .stop: false
        }
    }

    func allows(_ method: HTTPMethod) -> Bool {
        isReadOnly ? (method == .get || method == .head) : method == .post
    }

    var allowHeader: String { isReadOnly ? "GET, HEAD" : "POST" }

    private func matches(_ head: HTTPRequestHead) -> Bool {
        if let path { return head.pathEquals(path) }
        return ConsoleSite.serves(head)
    }

    /// The route for a request head, or the 404/405 response that answers it.
    static func resolve(_ head: HTTPRequestHead) -> Result<Route, RoutingFailure> {
        guard let route = allCases.first(where: { $0.matches(head) }) else {
            return .failure(
                RoutingFailure(
                    label: .unmatched, response: Responses.error(404, "no such endpoint: \(head.method) \(head.path)")))
        }
        guard route.allows(head.method) else {
            return .failure(
                RoutingFailure(
                    label: route.label,
                    response: Responses.error(
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
