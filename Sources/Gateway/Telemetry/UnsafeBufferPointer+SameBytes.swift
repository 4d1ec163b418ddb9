import Glibc

extension UnsafeBufferPointer<UInt8> {
    /// Byte equality through `memcmp`; the generic `elementsEqual` costs about ten times more per key compared.
    func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        guard count > 0 else { return true }
        return memcmp(baseAddress!, other.baseAddress!, count) == 0
    }

    func hasSameBytes(as text: StaticString) -> Bool {
        hasSameBytes(as: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
