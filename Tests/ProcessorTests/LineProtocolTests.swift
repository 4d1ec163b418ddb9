import Testing

@testable import Processor

@Suite struct LineProtocolTests {
}
