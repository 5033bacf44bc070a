/// A plain-text table with aligned columns, for people reading a terminal.
struct Table {
    let headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func add(_ cells: String...) {
        rows.append(cells)
    }

    /// The table as text: columns aligned; on a terminal, headers bold and status words in
    /// their colours (added after padding, so escape codes never skew the columns).
    var rendered: String { rendered(colored: Console.outputIsColored) }

    func rendered(colored: Bool) -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.enumerated().map { index, row in
            row.enumerated().map { column, cell in
                let padded = column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                guard colored else { return padded }
                if index == 0 { return Paint.bold.wrap(padded) }
                guard let paint = Paint.forStatus(cell) else { return padded }
                return paint.wrap(cell) + String(repeating: " ", count: padded.count - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
