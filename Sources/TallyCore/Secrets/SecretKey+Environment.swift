import CProcessHardening
import Foundation
import NIOConcurrencyHelpers

extension SecretKey {
    /// The keys named by `environment`: `TALLY_SECRET_KEY`, else the file
    /// named by `TALLY_SECRET_KEY_FILE`, which must belong to this process's
    /// user and be closed to group and others.
    public static func fromEnvironment(_ environment: [String: String]) throws(SecretError) -> SecretKey {
        if let text = environment["TALLY_SECRET_KEY"], !text.isEmpty {
            return try SecretKey(base64: text)
        }
        if let path = environment["TALLY_SECRET_KEY_FILE"], !path.isEmpty {
            try checkKeyFile(path)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw SecretError.unreadableKeyFile(path) }
            return try SecretKey(base64: text)
        }
        throw SecretError.noKey
    }

    /// This process's keys, read once. Reading them takes `TALLY_SECRET_KEY`
    /// out of the environment (and out of /proc/PID/environ) and forbids core
    /// dumps, so that neither a child process nor a crash carries the key.
    public static func fromProcess() throws(SecretError) -> SecretKey {
        let result: Result<SecretKey, SecretError> = processKey.withLockedValue { loaded in
            if let loaded { return .success(loaded) }
            do throws(SecretError) {
                let key = try fromEnvironment(ProcessInfo.processInfo.environment)
                forbidCoreDumps()
                tally_scrub_environment("TALLY_SECRET_KEY")
                loaded = key
                return .success(key)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func forbidCoreDumps() { _ = tally_forbid_core_dumps() }

    private static let processKey = NIOLockedValueBox<SecretKey?>(nil)

    /// The key file must belong to this process's user or to root (a
    /// Kubernetes Secret volume, systemd's credentials), grant nothing to
    /// others, and let its group at most read it, and then only when the
    /// group is one of this process's (Kubernetes' fsGroup with mode 0440).
    static func checkKeyFile(_ path: String) throws(SecretError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SecretError.unreadableKeyFile(path) }
        if info.st_uid != geteuid() && info.st_uid != 0 {
            throw SecretError.exposedKeyFile(
                path: path, problem: "belongs to uid \(info.st_uid), not to this process's user (uid \(geteuid())) or root: chown it to the user Tally runs as")
        }
        let mode = info.st_mode & 0o777
        let groupMayRead = mode & 0o070 == 0o040 && processGroups().contains(info.st_gid)
        if mode & 0o007 != 0 || (mode & 0o070 != 0 && !groupMayRead) {
            throw SecretError.exposedKeyFile(
                path: path, problem: "is open to group or others (mode \(String(mode, radix: 8))): chmod 600 \(path)")
        }
    }

    private static func processGroups() -> Set<gid_t> {
        var groups = [gid_t](repeating: 0, count: Int(max(getgroups(0, nil), 0)))
        let count = getgroups(Int32(groups.count), &groups)
        return Set(groups.prefix(Int(max(count, 0)))).union([getegid()])
    }
}

/// Whether this process may not dump core (for tests and /readyz).
public func coreDumpsForbidden() -> Bool { tally_core_dumps_forbidden() == 1 }
