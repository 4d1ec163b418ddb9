/// The header fields every console response carries.
///
/// The CSP allows only the gateway's own origin: no inline script or style, no eval, no third-party anything, and
/// `connect-src 'self'` limits the page's fetches to the gateway's own endpoints. `frame-ancestors 'none'` keeps the
/// Start/Stop buttons out of other sites' frames.
enum ConsoleHeaders {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let fields: [(name: String, value: String)] = [
        (name: "Cache-Control", value: "no-cache"),
        (name: "Content-Security-Policy", value: contentSecurityPolicy),
        (name: "X-Content-Type-Options", value: "nosniff"),
        (name: "Referrer-Policy", value: "no-referrer"),
        (name: "X-Frame-Options", value: "DENY"),
    ]
}
