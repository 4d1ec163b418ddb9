import CZlib

/// Compresses test bodies with the system zlib, the same library the gateway inflates with.
enum Deflater {
    enum Framing {
        case gzip
        case zlib
        var windowBits: Int32 { self == .gzip ? 16 + MAX_WBITS : MAX_WBITS }
    }

    static func compress(_ input: [UInt8], _ framing: Framing, level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
        var stream = z_stream()
        precondition(CZlib_deflateInit2(&stream, level, framing.windowBits) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let status = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END)
        return Array(output[0..<Int(stream.total_out)])
    }

    static func gzip(_ text: String) -> [UInt8] { compress(Array(text.utf8), .gzip) }
    static func zlib(_ text: String) -> [UInt8] { compress(Array(text.utf8), .zlib) }
}
