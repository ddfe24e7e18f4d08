// uring-bench's default executor is a URingRuntime (URingRuntimeFactory): every task in
// this process, the nio engine's included, runs on its workers. NIOFileSystem still does
// its file I/O on NIO's own thread pool, so the nio comparison is unchanged by this.
// Its worker count comes from SWIFT_URING_WORKERS, which `UringBench.run` sets from
// --workers before anything touches the runtime, and its backend from
// SWIFT_URING_BACKEND, which it sets to io_uring (no silent fallback).

@_spi(ExperimentalCustomExecutors) import URing

typealias DefaultExecutorFactory = URingRuntimeFactory
