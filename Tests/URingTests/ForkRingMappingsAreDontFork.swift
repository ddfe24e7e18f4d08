import Glibc
import Testing
@_spi(URingInternals) import URing

@Suite("Fork: ring memory is not inherited (MADV_DONTFORK)", .requiresRealRing,
    .disabled(if: runningUnderThreadSanitizer, forkUnderThreadSanitizerReason))
struct ForkRingMappingsAreDontFork {
    @Test("every mapping of a ring is marked do-not-copy-on-fork in /proc/self/smaps, and a child has none of them")
    func mappingsAreDontFork() async throws {
        let ring = try Ring(options: RingOptions(submissionQueueEntries: 8))
        // A ring's mappings are mmaps of its anon-inode file: in smaps their header names
        // "anon_inode:[io_uring]" and carries the inode that fstat reports for the ring fd
        // (which tells this ring's mappings from other tests' rings).
        var info = stat()
        #expect(fstat(ring.fileDescriptor.rawValue, &info) == 0)
        let inode = UInt64(info.st_ino)
        let mappings = try ProcessMapping.all().filter { $0.path.contains("io_uring") && $0.inode == inode }
        // The SQ and CQ rings (one mapping when the kernel shares them) and the SQE array.
        #expect(mappings.count >= 2, "\(mappings)")
        for mapping in mappings {
            // MADV_DONTFORK sets VM_DONTCOPY, which smaps shows as "dc" ("do not copy area
            // on fork"); "dd" is VM_DONTDUMP, a core-dump flag, not the fork one.
            #expect(mapping.flags.contains("dc"), "\(mapping.header): VmFlags \(mapping.flags)")
        }

        // And what that means: a fork() child does not have them.
        let child = try await runInForkedChild { output in
            let inherited = (try? ProcessMapping.all())?.filter { $0.inode == inode }.count ?? -1
            writeAll("\(inherited)", to: output)
            _exit(0)
        }
        #expect(child.status == .exited(0))
        #expect(child.output == "0", "mappings of the ring in the child: \(child.output)")
    }
}
