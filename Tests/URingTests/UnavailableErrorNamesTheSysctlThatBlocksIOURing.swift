// EPERM from io_uring_setup has two usual causes: a seccomp profile, or the
// kernel.io_uring_disabled sysctl (Linux 6.6+) with a process outside
// kernel.io_uring_group. The message must name the real one, chosen from the sysctl
// values, the process's groups and CAP_SYS_ADMIN (injected here: a pure function).

import Glibc
import Testing
@testable import URing

@Suite("The unavailable error names the sysctl that blocks io_uring, not seccomp")
struct UnavailableErrorNamesTheSysctlThatBlocksIOURing {
    private func message(_ access: IOURingAccess, _ errno: Errno = .notPermitted) -> String {
        URingUnavailableError(errno: errno, access: access).description
    }

    @Test("io_uring_disabled = 1 and a process outside the group: names the group, the sysctl and the process's groups")
    func outsideTheGroup() {
        let text = message(IOURingAccess(disabled: 1, group: 1500, processGroups: [1000, 27]))
        #expect(text.contains("kernel.io_uring_group = 1500"))
        #expect(text.contains("kernel.io_uring_disabled = 1"))
        #expect(text.contains("1000, 27"))
        #expect(!text.contains("seccomp"))
    }

    @Test("io_uring_disabled = 1 with io_uring_group = -1: only CAP_SYS_ADMIN may use it")
    func noGroup() {
        let text = message(IOURingAccess(disabled: 1, group: -1, processGroups: [1000]))
        #expect(text.contains("CAP_SYS_ADMIN"))
        #expect(!text.contains("seccomp"))
    }

    @Test("io_uring_disabled = 2: disabled system-wide, whatever the groups")
    func disabledEverywhere() {
        let text = message(IOURingAccess(disabled: 2, group: 1000, processGroups: [1000], hasSystemAdministration: true))
        #expect(text.contains("kernel.io_uring_disabled = 2"))
        #expect(!text.contains("seccomp"))
    }

    @Test("when the sysctls allow this process (in the group, CAP_SYS_ADMIN, or 0), EPERM is blamed on seccomp")
    func sysctlAllows() {
        for access in [
            IOURingAccess(disabled: 1, group: 1500, processGroups: [1000, 1500]),
            IOURingAccess(disabled: 1, group: -1, processGroups: [0], hasSystemAdministration: true),
            IOURingAccess(disabled: 0, group: -1, processGroups: [1000]),
            IOURingAccess(disabled: nil, group: nil, processGroups: [1000]),
        ] {
            let text = message(access)
            #expect(text.contains("seccomp") && !text.contains("kernel.io_uring_disabled ="), "\(access): \(text)")
        }
    }

    @Test("EACCES outside the group gets the same diagnosis")
    func accessDenied() {
        let text = message(IOURingAccess(disabled: 1, group: 1500, processGroups: [1000]), .permissionDenied)
        #expect(text.contains("EACCES") && text.contains("kernel.io_uring_group = 1500"))
    }

    @Test("the access read from this system lists the process's own effective group")
    func currentAccess() {
        let access = IOURingAccess.current()
        #expect(access.processGroups.first == Int(getegid()))
    }
}
