import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a target of known (signed) length into a partial file, resuming
/// with an HTTP Range request from the bytes a cut transfer left there. Never
/// keeps more than the signed length; the caller checks the hashes at the end.
public final class ResumableDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// Bytes the partial file held when each attempt began, and the HTTP
    /// status the server answered with (206 for a resumed range).
    public private(set) var attempts: [(from: Int, status: Int)] = []

    let url: URL
    let partialPath: String
    let length: Int
    let progress: ((Int, Int) -> Void)?
    private var handle: FileHandle?
    private var written = 0
    private var failure: TUFClientError?
    private let done = DispatchSemaphore(value: 0)

    public init(url: String, partialPath: String, length: Int, progress: ((Int, Int) -> Void)? = nil) throws(TUFClientError) {
        guard let address = URL(string: url) else { throw .fetchFailed(url: url, reason: "not a URL") }
        self.url = address
        self.partialPath = partialPath
        self.length = length
        self.progress = progress
    }

    /// Runs up to `attempts` transfers until the partial file holds `length`
    /// bytes; returns them.
    public func run(attempts limit: Int = 5) throws(TUFClientError) -> [UInt8] {
        var lastError: TUFClientError?
        for _ in 0 ..< max(1, limit) {
            let have = currentLength()
            if have == length { break }
            do throws(TUFClientError) {
                try attempt(from: have)
                lastError = nil
            } catch {
                lastError = error
                if case .mismatch = error { throw error }   // more than signed: no retry
            }
        }
        if let lastError, currentLength() != length { throw lastError }
        guard let data = FileManager.default.contents(atPath: partialPath), data.count == length else {
            throw .mismatch(file: partialPath, reason: "\(currentLength()) of \(length) bytes after \(attempts.count) attempt(s)")
        }
        return Array(data)
    }

    private func currentLength() -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: partialPath)[.size] as? Int) ?? nil
        return size ?? 0
    }

    private func attempt(from offset: Int) throws(TUFClientError) {
        var start = offset
        if start > length { start = 0 }
        if start == 0 { FileManager.default.createFile(atPath: partialPath, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: partialPath) else {
            throw .storage(path: partialPath, reason: "cannot be written")
        }
        handle.truncateFile(atOffset: UInt64(start))
        self.handle = handle
        written = start
        failure = nil
        var request = URLRequest(url: url)
        request.cachePolicy = .reloadIgnoringLocalCacheData
        if start > 0 { request.setValue("bytes=\(start)-", forHTTPHeaderField: "Range") }
        attempts.append((start, 0))
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()
        handle.closeFile()
        self.handle = nil
        if let failure { throw failure }
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        attempts[attempts.count - 1].status = status
        switch status {
        case 200:
            // The whole file again (no range support): start over.
            handle?.truncateFile(atOffset: 0)
            written = 0
            completionHandler(.allow)
        case 206:
            let range = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Range") ?? ""
            if range.hasPrefix("bytes \(written)-") {
                completionHandler(.allow)
            } else {
                failure = .fetchFailed(url: url.absoluteString, reason: "Content-Range \(range) does not start at \(written)")
                completionHandler(.cancel)
            }
        default:
            failure = .fetchFailed(url: url.absoluteString, reason: "HTTP status \(status)")
            completionHandler(.cancel)
        }
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        guard written + data.count <= length else {
            failure = .mismatch(file: url.absoluteString, reason: "longer than the \(length) bytes signed metadata says")
            dataTask.cancel()
            return
        }
        handle?.write(data)
        written += data.count
        progress?(written, length)
    }

    public func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error {
            failure = .fetchFailed(url: url.absoluteString, reason: "transfer cut after \(written) bytes: \(error.localizedDescription)")
        } else if failure == nil, written < length {
            failure = .fetchFailed(url: url.absoluteString, reason: "transfer ended after \(written) of \(length) bytes")
        }
        done.signal()
    }
}
