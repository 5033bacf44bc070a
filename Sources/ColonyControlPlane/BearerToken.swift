import Hummingbird

/// Lets a request through only with `Authorization: Bearer TOKEN` (or `?token=TOKEN`, which a
/// browser's EventSource and the printed dashboard URL use), except for the open paths.
struct BearerToken<Context: Hummingbird.RequestContext>: RouterMiddleware {
    let token: String
    /// Paths that need no token: liveness probes and Prometheus scrapes.
    static var openPaths: Set<String> { ["/api/v1/health", "/api/v1/openapi.json", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.openPaths.contains(request.uri.path), request.uri.path.hasPrefix("/api/") else {
            return try await next(request, context)
        }
        let presented = request.headers[.authorization].flatMap { header in
            header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil
        } ?? request.uri.queryParameters.get("token")
        guard let presented, Self.same(presented, token) else {
            throw APIError(.unauthorized, "unauthorized", "send the token of .colony/keys/http-token as 'Authorization: Bearer TOKEN'")
        }
        return try await next(request, context)
    }

    /// Compares in time that depends on the length only, not on where the first difference is.
    static func same(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
