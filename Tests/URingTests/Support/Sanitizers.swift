// Whether this test process runs under a sanitizer: such builds are several times
// slower, so bounds on how long something may take are wider there (and say so).

import Glibc

/// ThreadSanitizer's runtime is linked in (a sanitized build exports its entry point;
/// RTLD_DEFAULT, a null handle, finds it). Its runtime keeps internal locks and a
/// background thread that a fork() child of a multithreaded process does not get back,
/// so a child that runs more than async-signal-safe code can hang there; tests whose
/// child does are not run under it (and say so).
let runningUnderThreadSanitizer: Bool = dlsym(nil, "__tsan_init") != nil

/// AddressSanitizer's or ThreadSanitizer's runtime is linked in.
let runningUnderSanitizer: Bool = runningUnderThreadSanitizer || dlsym(nil, "__asan_init") != nil
