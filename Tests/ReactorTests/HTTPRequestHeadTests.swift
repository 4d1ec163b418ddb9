import Testing

@testable import Reactor

/// The accessors of a parsed head: header lookups by name, byte-level views, and the request-line parts.
@Suite struct HTTPRequestHeadTests {
    static func parseHead(_ text: String) -> HTTPRequestHead? {
        var parser = HTTPRequestParser()
        let result = [UInt8](http: text).withUnsafeBytes { parser.parse($0) }
        guard case .head(let head, _) = result else {
            Issue.record("expected a head, got \(result)")
            return nil
        }
        return head
    }

    static let sample = """
        POST /telemetry?device=7 HTTP/1.1\r
        Host: example.com\r
        content-type:  Application/JSON \r
        X-Tag: a\r
        x-tag: b\r
        Empty:\r
        \r

        """

    /// Names match ASCII case-insensitively, and the subscript returns the first value.
    @Test func subscriptFindsTheFirstValueInAnyCase() throws {
        let headers = try #require(Self.parseHead(Self.sample)).headers
        #expect(headers["Content-Type"] == "Application/JSON")
        #expect(headers["CONTENT-TYPE"] == "Application/JSON")
        #expect(headers["x-TAG"] == "a")
        #expect(headers["Empty"] == "")
        #expect(headers["Missing"] == nil)
        #expect(headers["Content-Typ"] == nil)
    }

    /// `values(named:)` returns every value of a repeated field in arrival order.
    @Test func valuesReturnsEveryValueInOrder() throws {
        let headers = try #require(Self.parseHead(Self.sample)).headers
        #expect(headers.values(named: "X-Tag") == ["a", "b"])
        #expect(headers.values(named: "host") == ["example.com"])
        #expect(headers.values(named: "Missing") == [])
    }

    /// `contains` answers presence, empty values included.
    @Test func containsAnswersPresence() throws {
        let headers = try #require(Self.parseHead(Self.sample)).headers
        #expect(headers.contains("empty"))
        #expect(headers.contains("HOST"))
        #expect(!headers.contains("Content-Length"))
    }

    /// The byte-level token comparison ignores case and the OWS that was trimmed, and fails for absent fields.
    @Test func valueComparesCaseInsensitively() throws {
        let headers = try #require(Self.parseHead(Self.sample)).headers
        #expect(headers.value(named: "content-type", equalsCaseInsensitive: "application/json"))
        #expect(!headers.value(named: "content-type", equalsCaseInsensitive: "application/jso"))
        #expect(!headers.value(named: "content-type", equalsCaseInsensitive: "application/json+x"))
        #expect(headers.value(named: "empty", equalsCaseInsensitive: ""))
        #expect(!headers.value(named: "missing", equalsCaseInsensitive: ""))
    }

    /// `withValueBytes` hands out the raw (trimmed) value bytes of the first match, or nil.
    @Test func withValueBytesExposesRawBytes() throws {
        let headers = try #require(Self.parseHead(Self.sample)).headers
        #expect(headers.withValueBytes(named: "X-TAG") { $0.map(Array.init) } == Array("a".utf8))
        #expect(headers.withValueBytes(named: "Content-Type") { $0?.count } == 16)
        #expect(headers.withValueBytes(named: "nope") { $0 == nil })
    }

    /// Iteration yields every field as sent, in order, and `count` matches.
    @Test func iteratesFieldsInOrder() throws {
        let headers = try #require(Self.parseHead(Self.sample)).headers
        let pairs = headers.map { "\($0.name)=\($0.value)" }
        #expect(pairs == ["Host=example.com", "content-type=Application/JSON", "X-Tag=a", "x-tag=b", "Empty="])
        #expect(headers.count == 5)
    }

    /// Header-name matching folds letters only: `^` and `~` differ by the 0x20 bit but are different names.
    @Test func caseFoldingTouchesLettersOnly() throws {
        let headers = try #require(Self.parseHead("GET / HTTP/1.1\r\nHost: h\r\nX^: caret\r\n\r\n")).headers
        #expect(headers["x^"] == "caret")
        #expect(headers["X~"] == nil)
    }

    /// Path, query and target come from the request line; `pathEquals` compares bytes, case-sensitively.
    @Test func requestLineAccessors() throws {
        let head = try #require(Self.parseHead(Self.sample))
        #expect(head.method == .post)
        #expect(head.target == "/telemetry?device=7")
        #expect(head.path == "/telemetry")
        #expect(head.query == "device=7")
        #expect(head.version == .http1_1)
        #expect(head.pathEquals("/telemetry"))
        #expect(!head.pathEquals("/Telemetry"))
        #expect(!head.pathEquals("/telemetry?device=7"))
        #expect(!head.pathEquals("/tele"))
        #expect(head.withPathBytes { Array($0) } == Array("/telemetry".utf8))
    }

    /// An absolute-form target without a path routes as `/`.
    @Test func absoluteFormWithoutPathEqualsRoot() throws {
        let head = try #require(Self.parseHead("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        #expect(head.pathEquals("/"))
        #expect(head.path == "/")
        #expect(head.query == nil)
        #expect(head.target == "http://example.com")
    }

    /// An unregistered method is decoded from the head's bytes, and its name is kept verbatim.
    @Test func unregisteredMethodKeepsItsName() throws {
        let head = try #require(Self.parseHead("PROPFIND /dav HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(head.method == .other("PROPFIND"))
        #expect(head.method.name == "PROPFIND")
        #expect("\(head.method)" == "PROPFIND")
    }

    /// A head with no header fields (HTTP/1.0) has an empty, iterable header set.
    @Test func headWithoutFields() throws {
        let head = try #require(Self.parseHead("GET / HTTP/1.0\r\n\r\n"))
        #expect(head.headers.count == 0)
        #expect(head.headers.map { $0.name } == [])
        #expect(head.headers["Host"] == nil)
    }

    /// Each status is one of the six the parser may ask for, and each reason is short, distinct and non-empty.
    @Test func errorStatusesAndReasons() {
        let errors: [HTTPParseError] = [
            .bareLineFeed, .bareCarriageReturn, .tooManyEmptyLines, .invalidMethodCharacter, .malformedRequestLine,
            .invalidTargetCharacter, .invalidTargetForm, .missingVersion, .malformedVersion, .unsupportedVersion,
            .requestLineTooLong, .obsoleteLineFolding, .headerWithoutColon, .whitespaceBeforeColon, .emptyHeaderName,
            .invalidHeaderNameCharacter, .invalidHeaderValueCharacter, .headerSectionTooLarge, .tooManyHeaders,
            .missingHost, .duplicateHost, .contentLengthWithTransferEncoding, .duplicateContentLength,
            .emptyContentLength, .invalidContentLength, .contentLengthOverflow, .transferEncodingInHTTP10,
            .unsupportedTransferEncoding, .bodyTooLarge, .invalidChunkSize, .chunkSizeOverflow, .invalidChunkExtension,
            .chunkLineTooLong, .missingChunkDataCRLF,
        ]
        for error in errors {
            #expect([400, 413, 414, 431, 501, 505].contains(error.status), "\(error)")
            #expect(!error.reason.isEmpty && error.reason.utf8.count <= 48, "\(error)")
        }
        #expect(Set(errors.map(\.reason)).count == errors.count)
    }
}
