import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `TUFFetcher` over HTTP(S) with Foundation's URLSession (file:// URLs work
/// too). 403 and 404 are "not there". The body is taken as it streams in and
/// the transfer is cancelled as soon as it passes the limit, so an endless
/// response costs at most `maxLength` bytes of memory.
public final class HTTPFetcher: TUFFetcher, @unchecked Sendable {
    private let timeout: TimeInterval

    public init(timeout: TimeInterval = 30) {
        self.timeout = timeout
    }

    public func fetch(_ url: String, maxLength: Int) throws(TUFClientError) -> [UInt8]? {
        guard let address = URL(string: url) else { throw .fetchFailed(url: url, reason: "not a URL") }
        if address.isFileURL {
            guard let data = FileManager.default.contents(atPath: address.path) else { return nil }
            guard data.count <= maxLength else { throw .fetchFailed(url: url, reason: "longer than \(maxLength) bytes") }
            return Array(data)
        }
        let transfer = BoundedTransfer(url: url, maxLength: maxLength)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: nil)
        session.dataTask(with: address).resume()
        transfer.done.wait()
        session.finishTasksAndInvalidate()
        if let failure = transfer.failure { throw failure }
        if transfer.status == 403 || transfer.status == 404 { return nil }
        guard transfer.status == 200 else { throw .fetchFailed(url: url, reason: "HTTP status \(transfer.status)") }
        return transfer.body
    }
}

/// One GET whose body may not pass `maxLength` bytes.
private final class BoundedTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let url: String
    let maxLength: Int
    let done = DispatchSemaphore(value: 0)
    var body: [UInt8] = []
    var status = 0
    var failure: TUFClientError?

    init(url: String, maxLength: Int) {
        self.url = url
        self.maxLength = maxLength
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        status = (response as? HTTPURLResponse)?.statusCode ?? 0
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        guard body.count + data.count <= maxLength else {
            failure = .fetchFailed(url: url, reason: "longer than \(maxLength) bytes")
            dataTask.cancel()
            return
        }
        body.append(contentsOf: data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error { failure = .fetchFailed(url: url, reason: error.localizedDescription) }
        done.signal()
    }
}
