// poll_fn: bridging a callback API into async/await. A C-style API reports completion
// through a callback on some other thread; `withCheckedThrowingContinuation` turns it
// into one `await`. The callback here comes from a plain pthread after a delay.

import Glibc
import URing

/// A callback-based API of the kind a C library offers.
final class CallbackAPI: Sendable {
    func compute(_ input: Int, completion: @escaping @Sendable (Result<Int, Errno>) -> Void) {
        let box = Unmanaged.passRetained(CallbackBox { completion(input >= 0 ? .success(input * 2) : .failure(.invalidArgument)) })
        var thread = pthread_t()
        // Safety: the box is retained for the thread, which releases it after the call.
        let status = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<CallbackBox>.fromOpaque(raw!).takeRetainedValue()
            usleep(2_000)
            box.body()
            return nil
        }, box.toOpaque())
        if status == 0 { pthread_detach(thread) } else { box.takeRetainedValue().body() }
    }
}

final class CallbackBox: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

enum PollFunction {
    static func compute(_ input: Int, using api: CallbackAPI) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            api.compute(input) { result in continuation.resume(with: result) }
        }
    }
}
