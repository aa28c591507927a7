using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OptAIC.Engine.Web.Center;
using OptAIC.Engine.Web.Serving;

namespace OptAIC.Engine.Web;

/// <summary>
/// The one web host of <c>optaic serve</c>: Kestrel on 127.0.0.1 by default, a bearer token when one is set, a
/// request body cap, JSON error bodies without stack traces, and two features mapped onto it: the MLOps Center
/// (<see cref="CenterEndpoints.MapCenter"/>) and model serving (<see cref="ServingEndpoints.MapServing"/>).
/// Nothing here writes the registry or the repository.
/// </summary>
public sealed class OptaicWebHost : IAsyncDisposable
{
    /// <summary>The cookie a browser keeps the token in after opening a page with <c>?token=</c>.</summary>
    public const string TokenCookie = "optaic_token";

    private bool _started;

    private OptaicWebHost(WebApplication app, WebContext context, RemoteFollower? remote)
    {
        App = app;
        Context = context;
        Remote = remote;
    }

    public WebApplication App { get; }

    public WebContext Context { get; }

    /// <summary>The remote follower of <c>--watch-remote</c>, or null.</summary>
    public RemoteFollower? Remote { get; }

    /// <summary>The address Kestrel bound (with the real port when 0 was asked), once started.</summary>
    public string BoundAddress =>
        App.Services.GetService(typeof(IServer)) is IServer server && server.Features.Get<IServerAddressesFeature>() is { } addresses && addresses.Addresses.Count > 0
            ? addresses.Addresses.First()
            : throw new InvalidOperationException("the web host is not started");

    /// <summary>Builds the host; <paramref name="configure"/> maps extra endpoints (tests).</summary>
    public static OptaicWebHost Create(WebHostOptions options, Action<WebApplication, WebContext>? configure = null)
    {
        var address = ParseHost(options.Host);
        if (options.Port is < 0 or > 65535)
        {
            throw new WebHostException($"--port {options.Port}: give a port between 1 and 65535");
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.Listen(address, options.Port);
        });
        var app = builder.Build();
        var watcher = new RegistryWatcher(options.RepositoryRoot);
        var context = new WebContext(options, watcher);

        if (options.LogRequests != RequestLogging.Off)
        {
            var log = TextWriter.Synchronized(options.RequestLog ?? System.Console.Out);
            app.Use((http, next) => RequestLog.Write(http, next, log, options.LogRequests));
        }
        app.Use(ErrorsAsJson);
        app.Use(SecurityHeaders);
        if (options.Token is { } token)
        {
            var expected = Encoding.UTF8.GetBytes(token);
            app.Use((http, next) => RequireToken(http, next, expected));
        }
        app.MapCenter(context);
        app.MapServing(context);
        configure?.Invoke(app, context);
        var remote = options.WatchRemote is null ? null : new RemoteFollower(options.RepositoryRoot, watcher);
        return new OptaicWebHost(app, context, remote);
    }

    /// <summary>Starts listening and watching the registry.</summary>
    public async Task StartAsync(CancellationToken cancel = default)
    {
        if (_started)
        {
            return;
        }
        _started = true;
        await App.StartAsync(cancel).ConfigureAwait(false);
        Context.Watcher.Start(Context.Options.WatchInterval);
        if (Context.Options.WatchRemote is { } every)
        {
            Remote?.Start(every);
        }
    }

    /// <summary>Serves (starting if need be) until <paramref name="cancel"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        await StartAsync(cancel).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: stop cleanly below.
        }
        await App.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Remote?.Dispose();
        Context.Watcher.Dispose();
        await App.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a JSON error body: <c>{"error": "...", "status": 404}</c>; never a stack trace.</summary>
    public static Task WriteError(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new { error = message, status }));
    }

    private static async Task ErrorsAsJson(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            await WriteError(http, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request body too large" : "bad request").ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            System.Console.Error.WriteLine($"optaic serve: {http.Request.Method} {http.Request.Path}: {e.GetType().Name}: {e.Message}");
            await WriteError(http, StatusCodes.Status500InternalServerError, "internal error; see the server's log").ConfigureAwait(false);
            return;
        }
        // Endpoints that set a status and no body (routing's 404 and 405) get a JSON body too.
        if (http.Response is { HasStarted: false, StatusCode: >= 400 } response && response.ContentLength is null && response.ContentType is null)
        {
            await WriteError(http, response.StatusCode, response.StatusCode switch
            {
                StatusCodes.Status404NotFound => "not found",
                StatusCodes.Status405MethodNotAllowed => "method not allowed",
                _ => "error",
            }).ConfigureAwait(false);
        }
    }

    private static Task SecurityHeaders(HttpContext http, RequestDelegate next)
    {
        var headers = http.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        return next(http);
    }

    /// <summary>Bearer header, or the cookie a <c>?token=</c> link set; compared in constant time.</summary>
    private static Task RequireToken(HttpContext http, RequestDelegate next, byte[] expected)
    {
        string? given = null;
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            given = authorization["Bearer ".Length..].Trim();
        }
        else if (http.Request.Query.TryGetValue("token", out var query) && query.Count == 1)
        {
            given = query[0];
        }
        else if (http.Request.Cookies.TryGetValue(TokenCookie, out var cookie))
        {
            given = cookie;
        }
        if (given is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return WriteError(http, StatusCodes.Status401Unauthorized, $"a bearer token is required (the server's {WebHostOptions.TokenVariable})");
        }
        if (http.Request.Query.ContainsKey("token"))
        {
            http.Response.Cookies.Append(TokenCookie, given, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
        }
        return next(http);
    }

    private static IPAddress ParseHost(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        _ when IPAddress.TryParse(host, out var address) => address,
        _ => throw new WebHostException($"--host {host}: give an IP address to bind (127.0.0.1 by default, 0.0.0.0 for every interface)"),
    };
}

/// <summary>The web host cannot start as asked (a bad --host or --port): a usage error.</summary>
public sealed class WebHostException(string message) : Exception(message);
