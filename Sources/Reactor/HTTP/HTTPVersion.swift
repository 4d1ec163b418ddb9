/// The protocol versions this server speaks. Any other well-formed `HTTP/x.y` is refused with 505 before a head is
/// produced, so code above the parser never meets one.
public enum HTTPVersion: Sendable {
    case http1_0, http1_1
}
