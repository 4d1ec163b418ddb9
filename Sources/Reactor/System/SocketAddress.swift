import CReactorShim
import Glibc

/// An IPv4 or IPv6 socket address, stored as the C struct the kernel wants so `bind`/`connect` need no conversion.
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    private enum Storage: @unchecked Sendable {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    private let storage: Storage

    init(_ storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET6:
            self.storage = .v6(withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) })
        default:
            self.storage = .v4(withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) })
        }
    }

    /// A numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "0.0.0.0"); `nil` when `host` is not one. Never touches
    /// DNS, so it is safe on the loop thread.
    public init?(numericHost host: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            self.storage = .v4(v4)
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            self.storage = .v6(v6)
            return
        }
        return nil
    }

    /// Resolves a host name with `getaddrinfo` and returns its first address. This may block on DNS: call it at
    /// startup or from a thread of its own, never on the loop thread.
    public static func resolve(host: String, port: Int) throws(SystemError) -> SocketAddress {
        try resolveAll(host: host, port: port)[0]
    }

    /// Every address `getaddrinfo` returns for a host name, in its order (RFC 6724: the one most likely to work
    /// first), without duplicates; never empty. A client should try them in turn: `localhost` may list `::1` before
    /// `127.0.0.1`, and a server bound to only one of them refuses the other. This may block on DNS: call it at
    /// startup or from a thread of its own, never on the loop thread.
    public static func resolveAll(host: String, port: Int) throws(SystemError) -> [SocketAddress] {
        if let numeric = SocketAddress(numericHost: host, port: port) { return [numeric] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, list != nil else {
            throw SystemError("getaddrinfo(\(host))", errno: status == EAI_SYSTEM ? Glibc.errno : EHOSTUNREACH)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            entry = current.pointee.ai_next
            let family = current.pointee.ai_family
            guard family == AF_INET || family == AF_INET6, let source = current.pointee.ai_addr else { continue }
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(current.pointee.ai_addrlen)))
            }
            let address = SocketAddress(storage)
            if !addresses.contains(address) { addresses.append(address) }
        }
        guard !addresses.isEmpty else { throw SystemError("getaddrinfo(\(host))", errno: EHOSTUNREACH) }
        return addresses
    }

    /// Same family, address and port (and, for IPv6, flow label and scope), compared as the kernel would see them.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.withSockAddr { left, leftLength in
            rhs.withSockAddr { right, rightLength in
                leftLength == rightLength && memcmp(left, right, Int(leftLength)) == 0
            }
        }
    }

    public var family: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    public var port: Int {
        switch storage {
        case .v4(let address): Int(UInt16(bigEndian: address.sin_port))
        case .v6(let address): Int(UInt16(bigEndian: address.sin6_port))
        }
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        switch storage {
        case .v4(var address):
            inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
            return "\(Self.string(text)):\(port)"
        case .v6(var address):
            inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
            return "[\(Self.string(text))]:\(port)"
        }
    }

    private static func string(_ text: [CChar]) -> String {
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func withSockAddr<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        switch storage {
        case .v4(var address):
            return try withUnsafePointer(to: &address) { (pointer) throws(Failure) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Failure) -> Result in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(var address):
            return try withUnsafePointer(to: &address) { (pointer) throws(Failure) -> Result in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (raw) throws(Failure) -> Result in
                    try body(raw, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}
