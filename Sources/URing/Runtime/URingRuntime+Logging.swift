// What the layers below the runtime may log through: its configured logger
// (RuntimeRegistry.logger, used for reports such as a listener's accept errors).

import Logging

extension URingRuntime {
    var logger: Logger { configuration.logger }

    func owns(_ driver: CompletionDriver) -> Bool { drivers.contains { $0 === driver } }
}
