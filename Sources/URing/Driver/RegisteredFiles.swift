// Registered files (IORING_REGISTER_FILES, IOSQE_FIXED_FILE): a File registered with a
// runtime is named by a slot index in its reads and writes, so the kernel skips looking
// the descriptor up (and taking and dropping a reference to the file) per operation.
//
// A task may resume on any worker, and each worker has its own ring with its own file
// table, so one index must mean the same file on every ring. The runtime owns the index
// space (`RegisteredFiles`: a free list and a generation per slot); every ring sets up a
// sparse table of that many slots when its driver starts, on its own thread (the ring is
// SINGLE_ISSUER, so only that thread may update it).
//
// Protocol:
// - register(file): take a free slot, bump its generation, and store (table, generation,
//   slot) in the File. No ring is touched. This runs under the lock the File's close
//   takes after marking it closed (FileUseCount.withRegistration), so a registration
//   racing a close is either refused as closed or released by that close.
// - A driver preparing a read or write of that File checks its own copy of the slot:
//   if it does not hold this generation, it installs the descriptor there
//   (IORING_REGISTER_FILES_UPDATE, one syscall per ring per file; it replaces whatever
//   file an earlier generation left), then names the slot with IOSQE_FIXED_FILE. A
//   driver of another runtime, or one whose ring refused the table (the fallback
//   backend), uses the plain descriptor: same result.
// - close() (or deinit) of the File, after its calls in flight ended: clear the File's
//   registration, put the slot back on the free list, and post a removal to every
//   driver. A driver that still holds that generation empties the slot, so the kernel
//   drops its reference to the closed file. The slot may be given to another file
//   before every removal ran: its new generation makes each driver install the new file
//   before using the slot, and a late removal of the old generation finds it replaced
//   and does nothing.
// - Generations are 24 bits: a driver would mistake a slot only if the slot were
//   registered and closed 16.7 million times between two of its mailbox drains. Table
//   identifiers are 24 bits too: a File still registered with a runtime that shut down
//   could match a table only after 16.7 million more runtimes in the same process.

import Glibc
import Synchronization
import URingExecutor

/// The files registered with a runtime (`URingRuntime.registeredFiles`): reads and writes
/// of a registered `File` name it by index (IOSQE_FIXED_FILE), which saves the kernel a
/// descriptor lookup and two atomic reference-count updates per operation.
///
/// ```swift
/// var configuration = URingRuntime.Configuration(workers: 2)
/// configuration.registeredFiles = 64
/// let runtime = try URingRuntime(configuration)
/// try runtime.run {
///     let file = try await File.open("/data/file", .readOnly)
///     try runtime.registeredFiles?.register(file)
///     let count = try await file.read(into: buffer, at: 0)  // IOSQE_FIXED_FILE
///     try await file.close()                                 // frees the slot too
/// }
/// ```
///
/// A registration lasts until the File is closed. Each worker's ring installs the file in
/// its own table the first time it reads or writes it (one system call per ring), so
/// register files you do many operations on, not every file you open. Calls on a
/// registered File work wherever they run: on another runtime, on the fallback backend, or
/// on a ring that refused the table, they use the descriptor as usual.
public final class RegisteredFiles: Sendable {
    /// The most slots a runtime may ask for.
    public static let maximumCapacity = 32_768

    /// How many files can be registered at once (`Configuration.registeredFiles`).
    public let capacity: Int
    /// Identifies this table in a File's registration (24 bits, never 0).
    let identifier: UInt32
    /// The rings this table is meant for (the runtime's workers).
    private let rings: Int
    private let state: ThreadLock<State>
    private let ringsRegistered = Atomic<Int>(0)
    private let refusal = ThreadLock<Errno?>(nil)

    private struct State {
        /// Slots no file holds.
        var free: [Int]
        /// The generation each slot was last given (0: never).
        var generations: [UInt32]
        /// The runtime's drivers, once its workers started; emptied at shutdown.
        var drivers: [CompletionDriver] = []
        var registered = 0
    }

    private static let nextIdentifier = Atomic<UInt32>(0)

    init(capacity: Int, rings: Int) {
        self.capacity = capacity
        self.rings = rings
        // 1...0xFFFFFF, then round again.
        identifier = Self.nextIdentifier.wrappingAdd(1, ordering: .relaxed).newValue % 0xFF_FFFF + 1
        state = ThreadLock(
            State(free: Array((0..<capacity).reversed()), generations: Array(repeating: 0, count: capacity)))
    }

    /// Why `capacity` cannot be used, or nil.
    static func invalidReason(_ capacity: Int) -> String? {
        guard (0...maximumCapacity).contains(capacity) else {
            return "registeredFiles must be 0...\(maximumCapacity), not \(capacity)"
        }
        return nil
    }

    /// Registers `file`: from now until it is closed, its reads and writes on this
    /// runtime's workers name it by its slot (IOSQE_FIXED_FILE).
    ///
    /// - Throws: `URingError.closed` for a closed file; `URingError.invalidArgument` when
    ///   the file is already registered (with this runtime or another) or every slot is
    ///   taken (close a registered file first, or ask for more in
    ///   `Configuration.registeredFiles`).
    public func register(_ file: File) throws {
        try file.uses.withRegistration { registration throws(URingError) in
            guard !file.isClosed else { throw URingError.closed }
            guard registration == nil else {
                throw URingError.invalidArgument("File(fd \(file.descriptor.rawValue)) is already registered")
            }
            let slot = try state.withLock { state throws(URingError) -> (index: Int, generation: UInt32) in
                guard let index = state.free.popLast() else {
                    throw URingError.invalidArgument(
                        "all \(capacity) registered-file slots are taken: close a registered file, or raise Configuration.registeredFiles"
                    )
                }
                let generation = state.generations[index] % RegisteredFileUse.generationLimit + 1
                state.generations[index] = generation
                state.registered += 1
                return (index, generation)
            }
            registration = self
            file.registeredHandle.store(
                RegisteredFileUse.pack(table: identifier, slot: slot.index, generation: slot.generation),
                ordering: .releasing)
        }
    }

    /// Files registered now.
    public var count: Int { state.withLock { $0.registered } }

    /// Whether every worker ring set up the table, so every read and write of a registered
    /// file from a task on one of the runtime's workers names its slot. False on the
    /// fallback backend and when the kernel refused (see `registrationError`).
    public var isRegistered: Bool { ringsRegistered.load(ordering: .acquiring) == rings }

    /// The kernel's error for the first ring that refused the table (EINVAL on the emulated
    /// backend; EMFILE when the capacity exceeds RLIMIT_NOFILE), or nil.
    public var registrationError: Errno? { refusal.withLock { $0 } }

    /// A ring set up the table (on its worker thread, during start-up).
    func ringRegistered() { ringsRegistered.add(1, ordering: .releasing) }

    /// A ring refused the table with `error`.
    func ringRefused(_ error: Errno) { refusal.withLock { if $0 == nil { $0 = error } } }

    /// The runtime's drivers, which removals are posted to (after its workers started).
    func attach(_ drivers: [CompletionDriver]) { state.withLock { $0.drivers = drivers } }

    /// The runtime shut down: its rings (and their tables) are gone.
    func detach() { state.withLock { $0.drivers = [] } }

    /// Ends `handle`'s registration: the slot is free again, and every driver that still
    /// holds this file there empties it. Called once per registration (the File clears
    /// its handle first).
    func release(_ handle: UInt64) {
        let slot = RegisteredFileUse.slot(of: handle)
        let drivers = state.withLock { state -> [CompletionDriver] in
            state.registered -= 1
            state.free.append(slot)
            return state.drivers
        }
        let removal = RegisteredFileRemoval(handle: handle)
        for driver in drivers { driver.post(.removeRegisteredFile(removal)) }
    }
}

/// A removal a driver carries out on its own ring, if it still holds that generation.
struct RegisteredFileRemoval: Sendable {
    /// The registration that ended (table, generation, slot).
    let handle: UInt64
}

/// What a read or write tells its driver about its File's registration: the packed
/// (table, generation, slot), 0 for none, and the descriptor to install.
struct RegisteredFileUse {
    let handle: UInt64
    let descriptor: Int32

    static let none = RegisteredFileUse(handle: 0, descriptor: -1)
    /// Generations run 1...generationLimit (24 bits), then round again.
    static let generationLimit: UInt32 = 0xFF_FFFF

    /// table (24 bits) | generation (24 bits) | slot (16 bits).
    static func pack(table: UInt32, slot: Int, generation: UInt32) -> UInt64 {
        UInt64(table & 0xFF_FFFF) << 40 | UInt64(generation & 0xFF_FFFF) << 16
            | UInt64(UInt16(truncatingIfNeeded: slot))
    }

    @inline(__always) static func table(of handle: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: handle >> 40) }
    @inline(__always) static func generation(of handle: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: handle >> 16) & 0xFF_FFFF
    }
    @inline(__always) static func slot(of handle: UInt64) -> Int { Int(UInt16(truncatingIfNeeded: handle)) }
}

/// One ring's copy of the table: which generation of each slot it has installed.
/// Owner thread only (a driver's property).
struct RegisteredFileSlots {
    /// The table this ring set up (0: none, so no handle matches).
    let table: UInt32
    /// Installed generation per slot; 0 for an empty slot.
    var installed: [UInt32]

    static let none = RegisteredFileSlots(table: 0, installed: [])
}
