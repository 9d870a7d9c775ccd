extension Array {
    /// The array in consecutive slices of at most `size` elements: the rows of one multi-row
    /// statement, under the engines' limits on arguments per statement (PostgreSQL 65,535,
    /// SQLite 32,766).
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
