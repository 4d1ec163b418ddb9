import Foundation

/// The protobuf bodies in tests/fixtures/protobuf, encoded by the reference implementation (make_fixtures.py), with
/// what the gateway must answer for each.
struct ProtobufFixture: CustomStringConvertible, Sendable {
    struct Event: Equatable, Sendable {
        var deviceID: String
        var priority: String
        /// The stored `data` JSON without its final `received_at` member.
        var data: String
    }

    let name: String
    let body: [UInt8]
    /// The events to store, or nil when the body must be refused with `error`.
    let events: [Event]?
    let error: String?

    var description: String { name }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tests/fixtures/protobuf")

    static let all: [ProtobufFixture] = {
        let manifest = try! Data(contentsOf: directory.appendingPathComponent("cases.json"))
        let cases = try! JSONSerialization.jsonObject(with: manifest) as! [[String: Any]]
        return cases.map { entry in
            let file = entry["file"] as! String
            let body = [UInt8](try! Data(contentsOf: directory.appendingPathComponent(file)))
            let events = (entry["events"] as? [[String: String]])?.map {
                Event(deviceID: $0["device_id"]!, priority: $0["priority"]!, data: $0["data"]!)
            }
            return ProtobufFixture(
                name: entry["name"] as! String, body: body, events: events, error: entry["error"] as? String)
        }
    }()

    static var valid: [ProtobufFixture] { all.filter { $0.events != nil } }
    static var invalid: [ProtobufFixture] { all.filter { $0.events == nil } }

    static func named(_ name: String) -> ProtobufFixture { all.first { $0.name == name }! }
}
