import Foundation

/// Who owns a file and its mode, in the words an error about it gives ops.
public enum FileOwnership {
    /// The file as `ls -l` would describe it: "owned by root, mode 0600".
    public static func ownership(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return "cannot be examined: \(String(cString: strerror(errno)))" }
        return "owned by \(userName(st.st_uid)), mode \(String(format: "%04o", st.st_mode & 0o7777))"
    }

    public static func userName(_ uid: uid_t) -> String {
        guard let pw = getpwuid(uid) else { return "uid \(uid)" }
        return String(cString: pw.pointee.pw_name)
    }
}
