/// A consumer thread's way from request body to events: inflate the body if it is compressed, then decode it in
/// its media type. Owns the per-thread state for both (zlib stream, inflate buffer), so nothing here is shared.
final class IngestBodyDecoder {
    /// Why a body was refused: the status, the metrics reason and the message for the client.
    struct Refusal: Error {
        let status: Int
        let reason: RejectReason
        let message: String
    }

    private let json: TelemetryDecoder
    private let protobuf: ProtobufTelemetryDecoder
    private let inflater: BodyInflater

    init(limits: TelemetryLimits) {
        json = TelemetryDecoder(limits: limits)
        protobuf = ProtobufTelemetryDecoder(limits: limits)
        inflater = BodyInflater(maxDecodedBytes: limits.maxDecodedBodyBytes)
    }

    func decode(_ body: [UInt8], format: BodyFormat, receivedAt: [UInt8]) -> Result<TelemetryBatch, Refusal> {
        body.withUnsafeBytes { body in
            guard format.coding != .identity else { return decode(plain: body, format.media, receivedAt) }
            let inflated = inflater.withInflated(body, coding: format.coding) { plain in
                decode(plain: plain, format.media, receivedAt)
            }
            switch inflated {
            case .success(let decoded):
                return decoded
            case .failure(.tooLarge):
                return .failure(
                    Refusal(
                        status: 413, reason: .tooLarge,
                        message: "body: inflates to more than \(inflater.maxDecodedBytes) bytes (--max-decoded-body)"))
            case .failure(.corrupt(let message)):
                return .failure(Refusal(status: 400, reason: .invalid, message: message))
            case .failure(.outOfMemory):
                return .failure(Refusal(status: 503, reason: .queueFull, message: "out of memory inflating the body"))
            }
        }
    }

    private func decode(
        plain body: UnsafeRawBufferPointer, _ media: BodyFormat.MediaType, _ receivedAt: [UInt8]
    )
        -> Result<TelemetryBatch, Refusal>
    {
        do throws(TelemetryValidationError) {
            switch media {
            case .json:
                return .success(try json.decode(body, receivedAt: receivedAt))
            case .protobuf:
                return .success(try protobuf.decode(body, receivedAt: receivedAt))
            }
        } catch {
            return .failure(Refusal(status: 400, reason: .invalid, message: error.message))
        }
    }
}
