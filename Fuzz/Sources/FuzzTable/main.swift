// TSV and CSV datasets.
import CLIPTokenizer
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    let name = data.first.map { $0 % 2 == 0 } == true ? "data.tsv" : "data.csv"
    if let table = try? DelimitedTable(path: FuzzInput.file(data, named: name)) {
        _ = try? table.column("filepath")
    }
    return 0
}
