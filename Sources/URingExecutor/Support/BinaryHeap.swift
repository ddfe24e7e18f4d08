// One binary min-heap for both modules: the executor's TimerHeap and the emulated ring's
// timers. A plain value (not thread-safe: its owner locks it or confines it to a thread).
// Ties between equal elements come out in no particular order; an element type that
// needs FIFO among equals orders by a sequence number too.

package struct BinaryHeap<Element: Comparable> {
    private var items: [Element] = []

    package init() {}

    package var isEmpty: Bool { items.isEmpty }
    package var count: Int { items.count }

    /// The smallest element, or nil.
    package var min: Element? { items.first }

    package mutating func insert(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the smallest element, or nil when empty.
    package mutating func popMin() -> Element? {
        guard let root = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return root }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return root
    }

    /// Removes and returns the smallest element if `isDue` says so.
    package mutating func popMin(if isDue: (Element) -> Bool) -> Element? {
        guard let root = items.first, isDue(root) else { return nil }
        return popMin()
    }
}
