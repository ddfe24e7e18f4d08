// Two paths one operation hands the kernel (a link and what it names), kept alive together
// by the slot until the CQE.

final class PathPair: Sendable {
    let first: PathBuffer
    let second: PathBuffer

    init(_ first: PathBuffer, _ second: PathBuffer) {
        self.first = first
        self.second = second
    }
}
