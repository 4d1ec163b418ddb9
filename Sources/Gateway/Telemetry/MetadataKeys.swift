/// The keys one metadata object has used so far, to refuse duplicates.
///
/// Typical metadata has a handful of entries, compared pairwise from tokens kept inline (no allocation). Past
/// eight entries the keys move to a hash set, so a body with thousands of keys costs linear time, not
/// quadratic; Swift's per-process hash seed keeps crafted collisions from undoing that.
struct MetadataKeys {
    private var inline = InlineArray<8, JSONStringToken>(
        repeating: JSONStringToken(start: 0, end: 0, hasEscapes: false))
    private var inlineCount = 0
    private var spilled: Set<[UInt8]>?

    /// Adds `key`; false when a key with the same unescaped value was already there.
    mutating func insert(_ key: JSONStringToken, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if spilled != nil {
            return spilled!.insert(key.unescapedArray(in: bytes)).inserted
        }
        for index in 0..<inlineCount where inline[index].hasSameValue(as: key, in: bytes) {
            return false
        }
        if inlineCount < inline.count {
            inline[inlineCount] = key
            inlineCount += 1
            return true
        }
        var keys = Set<[UInt8]>(minimumCapacity: 4 * inline.count)
        for index in 0..<inlineCount {
            keys.insert(inline[index].unescapedArray(in: bytes))
        }
        keys.insert(key.unescapedArray(in: bytes))
        spilled = keys
        return true
    }
}
