// Counters of every worker's driver, read on each driver's own thread and gathered for
// the caller (Driver/DriverStatistics.swift).

extension URingRuntime {
    /// Each worker's driver counters, in worker order; empty once the runtime shut down
    /// (a driver that already stopped contributes nothing) and in a fork() child.
    public func statistics() async -> [DriverStatistics] {
        // In a fork() child no driver thread exists to answer.
        if executor.isForkedAway { return [] }
        let request = StatisticsRequest(expected: drivers.count)
        for driver in drivers {
            driver.post(.statistics(request))
        }
        return await request.result()
    }
}
