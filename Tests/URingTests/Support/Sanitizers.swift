// Whether this test process runs under a sanitizer: such builds are several times
// slower, so bounds on how long something may take are wider there (and say so).

import Glibc

/// AddressSanitizer's or ThreadSanitizer's runtime is linked in (a sanitized build
/// exports its entry point; RTLD_DEFAULT, a null handle, finds it).
let runningUnderSanitizer: Bool = dlsym(nil, "__asan_init") != nil || dlsym(nil, "__tsan_init") != nil
