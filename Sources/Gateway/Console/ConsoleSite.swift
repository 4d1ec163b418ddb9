import Reactor

/// The operator console: its page and assets, embedded in the binary by SwiftPM (`PackageResources`, see
/// Package.swift) and turned into responses once, when the gateway starts. Serving one is a path lookup.
///
/// | path | file |
/// |---|---|
/// | `/`, `/console`, `/console/` | `Assets/index.html` |
/// | `/console/app.css` | `Assets/app.css` |
/// | `/console/app.js` | `Assets/app.js`, an ES module that imports the four below |
/// | `/console/chart.js`, `/console/controls.js`, `/console/format.js`, `/console/table.js` | `Assets/<name>` |
/// | `/console/icon.svg` | `Assets/icon.svg` |
final class ConsoleSite: Sendable {
    let assets: [ConsoleAsset]

    init() {
        assets = [
            ConsoleAsset(
                paths: ["/", "/console", "/console/"], contentType: "text/html; charset=utf-8",
                bytes: PackageResources.index_html),
            ConsoleAsset(
                paths: ["/console/app.css"], contentType: "text/css; charset=utf-8", bytes: PackageResources.app_css),
            Self.script("/console/app.js", PackageResources.app_js),
            Self.script("/console/chart.js", PackageResources.chart_js),
            Self.script("/console/controls.js", PackageResources.controls_js),
            Self.script("/console/format.js", PackageResources.format_js),
            Self.script("/console/table.js", PackageResources.table_js),
            ConsoleAsset(paths: ["/console/icon.svg"], contentType: "image/svg+xml", bytes: PackageResources.icon_svg),
        ]
    }

    private static func script(_ path: StaticString, _ bytes: [UInt8]) -> ConsoleAsset {
        ConsoleAsset(paths: [path], contentType: "text/javascript; charset=utf-8", bytes: bytes)
    }

    static func serves(_ head: HTTPRequestHead) -> Bool {
        shared.asset(for: head) != nil
    }

    /// Built at first use; `Gateway.init` touches it so that happens at start, not on the first request.
    static let shared = ConsoleSite()

    func asset(for head: HTTPRequestHead) -> ConsoleAsset? {
        assets.first { $0.matches(head) }
    }

    /// The asset's 200 or 304; nil only for a path `serves` refused, which routing never hands over.
    func response(to head: HTTPRequestHead) -> HTTPResponse? {
        asset(for: head)?.response(to: head)
    }
}
