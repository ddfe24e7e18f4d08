// What the layers below the runtime may log through: its reports' logger (the
// configured one, one handed over with `useLogger`, or one made per report), reached
// through RuntimeRegistry.reports by reports such as a listener's accept errors.

extension URingRuntime {
    func owns(_ driver: CompletionDriver) -> Bool { drivers.contains { $0 === driver } }
}
