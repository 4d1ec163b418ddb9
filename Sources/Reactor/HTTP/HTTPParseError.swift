/// Why a request was refused. One case per rejected pattern, each mapped to exactly one status code here and
/// nowhere else.
///
/// Every one of these ends the connection: once framing is in doubt, the bytes that follow cannot be trusted to
/// start a new request.
public enum HTTPParseError: Error, Equatable, Sendable {
    // Line endings.
    case bareLineFeed
    case bareCarriageReturn
    case tooManyEmptyLines

    // Request line.
    case invalidMethodCharacter
    case malformedRequestLine
    case invalidTargetCharacter
    case invalidTargetForm
    case missingVersion
    case malformedVersion
    case unsupportedVersion
    case requestLineTooLong

    // Header and trailer lines.
    case obsoleteLineFolding
    case headerWithoutColon
    case whitespaceBeforeColon
    case emptyHeaderName
    case invalidHeaderNameCharacter
    case invalidHeaderValueCharacter
    case headerSectionTooLarge
    case tooManyHeaders
    case missingHost
    case duplicateHost

    // Body framing.
    case contentLengthWithTransferEncoding
    case duplicateContentLength
    case emptyContentLength
    case invalidContentLength
    case contentLengthOverflow
    case transferEncodingInHTTP10
    case unsupportedTransferEncoding
    case bodyTooLarge

    // Chunked framing.
    case invalidChunkSize
    case chunkSizeOverflow
    case invalidChunkExtension
    case chunkLineTooLong
    case missingChunkDataCRLF

    /// The response status for this refusal.
    public var status: Int {
        switch self {
        case .requestLineTooLong: 414
        case .headerSectionTooLarge, .tooManyHeaders: 431
        case .bodyTooLarge: 413
        case .unsupportedTransferEncoding: 501
        case .unsupportedVersion: 505
        case .bareLineFeed, .bareCarriageReturn, .tooManyEmptyLines, .invalidMethodCharacter, .malformedRequestLine,
            .invalidTargetCharacter, .invalidTargetForm, .missingVersion, .malformedVersion, .obsoleteLineFolding,
            .headerWithoutColon, .whitespaceBeforeColon, .emptyHeaderName, .invalidHeaderNameCharacter,
            .invalidHeaderValueCharacter, .missingHost, .duplicateHost, .contentLengthWithTransferEncoding,
            .duplicateContentLength, .emptyContentLength, .invalidContentLength, .contentLengthOverflow,
            .transferEncodingInHTTP10, .invalidChunkSize, .chunkSizeOverflow, .invalidChunkExtension,
            .chunkLineTooLong, .missingChunkDataCRLF:
            400
        }
    }

    /// A short explanation that is safe to put in the response body: it names the rule, never echoes request bytes.
    public var reason: String {
        switch self {
        case .bareLineFeed: "bare LF"
        case .bareCarriageReturn: "CR not followed by LF"
        case .tooManyEmptyLines: "too many empty lines before request line"
        case .invalidMethodCharacter: "invalid character in method"
        case .malformedRequestLine: "malformed request line"
        case .invalidTargetCharacter: "invalid character in request target"
        case .invalidTargetForm: "invalid request target"
        case .missingVersion: "missing HTTP version"
        case .malformedVersion: "malformed HTTP version"
        case .unsupportedVersion: "HTTP version not supported"
        case .requestLineTooLong: "request line too long"
        case .obsoleteLineFolding: "obsolete line folding"
        case .headerWithoutColon: "header line without colon"
        case .whitespaceBeforeColon: "whitespace between header name and colon"
        case .emptyHeaderName: "empty header name"
        case .invalidHeaderNameCharacter: "invalid character in header name"
        case .invalidHeaderValueCharacter: "invalid character in header value"
        case .headerSectionTooLarge: "header section too large"
        case .tooManyHeaders: "too many header fields"
        case .missingHost: "missing Host header"
        case .duplicateHost: "duplicate Host header"
        case .contentLengthWithTransferEncoding: "both Content-Length and Transfer-Encoding"
        case .duplicateContentLength: "duplicate Content-Length"
        case .emptyContentLength: "empty Content-Length"
        case .invalidContentLength: "invalid Content-Length"
        case .contentLengthOverflow: "Content-Length overflow"
        case .transferEncodingInHTTP10: "Transfer-Encoding in HTTP/1.0 request"
        case .unsupportedTransferEncoding: "unsupported Transfer-Encoding"
        case .bodyTooLarge: "body too large"
        case .invalidChunkSize: "invalid chunk size"
        case .chunkSizeOverflow: "chunk size overflow"
        case .invalidChunkExtension: "invalid chunk extension"
        case .chunkLineTooLong: "chunk-size line too long"
        case .missingChunkDataCRLF: "missing CRLF after chunk data"
        }
    }
}
