import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `TUFFetcher` over HTTP(S) with Foundation's URLSession (file:// URLs work
/// too). 403 and 404 are "not there"; a body longer than the limit is refused.
public final class HTTPFetcher: TUFFetcher, @unchecked Sendable {
    private let session: URLSession

    public init(timeout: TimeInterval = 30) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    private final class Box: @unchecked Sendable {
        var data: Data?
        var response: URLResponse?
        var error: Error?
    }

    public func fetch(_ url: String, maxLength: Int) throws(TUFClientError) -> [UInt8]? {
        guard let address = URL(string: url) else { throw .fetchFailed(url: url, reason: "not a URL") }
        if address.isFileURL {
            guard let data = FileManager.default.contents(atPath: address.path) else { return nil }
            guard data.count <= maxLength else { throw .fetchFailed(url: url, reason: "longer than \(maxLength) bytes") }
            return Array(data)
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: address) { data, response, error in
            box.data = data
            box.response = response
            box.error = error
            done.signal()
        }
        task.resume()
        done.wait()
        if let error = box.error { throw .fetchFailed(url: url, reason: error.localizedDescription) }
        let status = (box.response as? HTTPURLResponse)?.statusCode ?? 0
        if status == 403 || status == 404 { return nil }
        guard status == 200 else { throw .fetchFailed(url: url, reason: "HTTP status \(status)") }
        let data = box.data ?? Data()
        guard data.count <= maxLength else { throw .fetchFailed(url: url, reason: "longer than \(maxLength) bytes") }
        return Array(data)
    }
}
