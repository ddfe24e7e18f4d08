// What a driver needs from a multishot operation (one SQE, many CQEs). Every method
// runs on the owning driver's thread; the object lives in the slot until the last CQE.
// For each `CompletionDriver.startMultishot` call there is exactly one `finish`.

import CLiburing

protocol MultishotOperation: AnyObject, Sendable {
    /// Fills the SQE (user_data is the driver's).
    func prepare(_ entry: SubmissionEntry)

    /// The SQE is about to be submitted in `ticket` on `driver`; return false to submit
    /// nothing (the consumer left), and `finish` follows at once.
    func arming(on driver: CompletionDriver, ticket: SlotTicket) -> Bool

    /// A CQE with IORING_CQE_F_MORE: the operation stays in the kernel.
    func deliver(result: Int32, flags: UInt32)

    /// The last CQE (or why the operation could not start).
    func finish(_ outcome: OperationOutcome)
}
