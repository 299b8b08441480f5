import Crypto
import Foundation

public enum ConstantTime {
    /// Compares secrets without leaking where they differ: swift-crypto compares digests in
    /// constant time, and hashing first hides the lengths too.
    public static func equal(_ a: String, _ b: String) -> Bool {
        SHA256.hash(data: Data(a.utf8)) == SHA256.hash(data: Data(b.utf8))
    }
}
