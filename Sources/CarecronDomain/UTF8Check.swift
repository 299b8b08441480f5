/// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or values past U+10FFFF). The
/// standard library's `String(validating:)` is generic and was not specialised here: it cost
/// more than reading the bytes.
public enum UTF8Check {
    public static func isValid(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            let length: Int, low: UInt8, high: UInt8  // the allowed range of the second byte
            switch c {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return false
            }
            guard i + length <= n, (low...high).contains(b[i + 1]) else { return false }
            for k in 2..<length where b[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }
}
