namespace OptAIC.Engine.Web;

/// <summary>How <c>optaic serve</c> listens and guards itself. Safe by default: loopback, no write endpoints, a small body cap.</summary>
public sealed record WebHostOptions
{
    /// <summary>The environment variable holding the bearer token; when set, every request must carry it.</summary>
    public const string TokenVariable = "OPTAIC_SERVE_TOKEN";

    public required string RepositoryRoot { get; init; }

    /// <summary>The address to bind: 127.0.0.1 unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 picks a free one (tests), see <see cref="OptaicWebHost.BoundAddress"/>.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The bearer token every request needs, or null for none.</summary>
    public string? Token { get; init; }

    /// <summary>The largest request body accepted (an inference request); bigger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How often the registry watcher looks at the repository's HEAD.</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often <c>--watch-remote</c> fetches the remote and fast-forwards (null: never; the work tree is pulled by someone else).</summary>
    public TimeSpan? WatchRemote { get; init; }

    /// <summary>What is logged per request: nothing (the default), one line without any input data, or also the bodies.</summary>
    public RequestLogging LogRequests { get; init; } = RequestLogging.Off;

    /// <summary>Where request lines go (standard output when null).</summary>
    public TextWriter? RequestLog { get; init; }

    /// <summary>The token from <see cref="TokenVariable"/>, or null when unset or empty.</summary>
    public static string? TokenFromEnvironment() =>
        Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token ? token : null;
}

/// <summary>What <c>--log-requests</c> writes per request.</summary>
public enum RequestLogging
{
    /// <summary>Nothing (the default).</summary>
    Off,

    /// <summary>One line: time, method, path (never the query, which may hold a token), status, duration, bytes, and for inference the model, version and rows; never input data.</summary>
    Summary,

    /// <summary>The line, and for inference the request and response bodies (input data: only when asked for).</summary>
    Bodies,
}
