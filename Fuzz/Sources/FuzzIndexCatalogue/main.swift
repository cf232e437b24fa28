// An index folder as found on disk: the catalogue (first part of the input, up to a NUL line) and
// the bytes of every model's vector file (the rest). Opened, listed, searched, grouped into
// duplicates, compacted and cleaned, as the commands do; damage must give an error, never a crash.
import CLIPSearch
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let (catalogue, vectors) = FuzzInput.split(FuzzInput.data(start, count), at: [0x0A, 0x00, 0x0A])
    let folder = FuzzInput.folder()
    FileManager.default.createFile(atPath: folder.appendingPathComponent(EmbeddedIndexStore.catalogueName).path, contents: catalogue)
    guard let store = try? EmbeddedIndexStore(directory: folder), let models = try? store.models() else { return 0 }
    let index = ImageIndex(store: store)
    _ = try? index.files()
    _ = try? index.failures()
    for model in models.prefix(4) {
        FileManager.default.createFile(atPath: store.vectorFile(of: model).path, contents: vectors)
    }
    for model in models.prefix(4) where model.width <= 4_096 {
        let query = [Float](repeating: 1 / Float(max(model.width, 1)).squareRoot(), count: model.width)
        _ = try? index.search(query, in: model, top: 5)
        _ = try? index.search(query, in: model, top: 2, under: "/photos")
        _ = try? index.duplicates(in: model, threshold: 0.9)
        _ = try? store.catalogue.rowUsage(model: model)
    }
    _ = try? index.remove("/photos/a.jpg")
    _ = try? index.compact()
    return 0
}
