// Matching URingError values in `#expect { } throws: { }` checks.

import URing

/// Whether `error` is `URingError.invalidArgument` whose detail contains `text`.
func isInvalidArgument(_ error: any Error, containing text: String) -> Bool {
    guard case .invalidArgument(let detail) = error as? URingError else { return false }
    return detail.contains(text)
}
