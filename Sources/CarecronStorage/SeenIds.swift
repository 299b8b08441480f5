/// The ids already read from one import file, exactly, in about 40 bytes an id: the bytes of
/// every id end to end, and an open-addressing table of their positions. A million-row file
/// checked for repeated ids through a temporary SQLite table cost a b-tree insert a row, and a
/// `Set<String>` would hold 50 MB at its peak.
public struct SeenIds: Sendable {
    private var bytes: [UInt8] = []
    /// Where each id ends in `bytes`; id `i` starts where `i - 1` ends.
    private var ends: [UInt32] = []
    /// 0 for an empty slot, else the index of an id plus one in the low half and the high
    /// half of its hash above: most slots that are not the id are told apart without
    /// reading its bytes (two cache misses each).
    private var slots: [UInt64]
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    public var count: Int { ends.count }

    /// Adds `id`; false if it was there already.
    public mutating func insert(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { insert($0) }
    }

    public func contains(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { find($0).found }
    }

    private func find(_ id: UnsafeBufferPointer<UInt8>) -> (found: Bool, slot: Int, hash: UInt64) {
        let h = Self.hash(id)
        var slot = Int(truncatingIfNeeded: h) & mask
        let tag = h & 0xFFFF_FFFF_0000_0000
        while case let entry = slots[slot], entry != 0 {
            if entry & 0xFFFF_FFFF_0000_0000 == tag, equals(Int(entry & 0xFFFF_FFFF) - 1, id) { return (true, slot, h) }
            slot = (slot + 1) & mask
        }
        return (false, slot, h)
    }

    public mutating func insert(_ id: UnsafeBufferPointer<UInt8>) -> Bool {
        let (found, slot, h) = find(id)
        if found { return false }
        bytes.append(contentsOf: id)
        precondition(bytes.count < UInt32.max, "more than 4 GB of ids in one import")
        ends.append(UInt32(bytes.count))
        slots[slot] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(ends.count)
        if ends.count * 2 > slots.count { grow() }
        return true
    }

    private func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : Int(ends[i - 1]))..<Int(ends[i]) }

    private func equals(_ i: Int, _ id: UnsafeBufferPointer<UInt8>) -> Bool {
        let r = range(i)
        guard r.count == id.count else { return false }
        return bytes.withUnsafeBufferPointer { all in
            for k in 0..<id.count where all[r.lowerBound + k] != id[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        bytes.withUnsafeBufferPointer { all in
            for i in 0..<ends.count {
                let r = range(i)
                let h = Self.hash(UnsafeBufferPointer(rebasing: all[r]))
                var slot = Int(truncatingIfNeeded: h) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(i + 1)
            }
        }
    }

    /// FNV-1a, with a final mix so that ids differing in their last byte spread over the table.
    private static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return h
    }
}
