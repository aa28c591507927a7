using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OptAIC.Engine.Web.Center;

/// <summary>
/// The MLOps Center under <c>optaic serve</c>: the same pages as <c>optaic report</c> at the same paths (so every
/// link is the same), live, plus the JSON API they are made from. Read-only: every endpoint is a GET.
/// </summary>
public static class CenterEndpoints
{
    public static WebApplication MapCenter(this WebApplication app, WebContext context)
    {
        var center = new CenterService(context.RepositoryRoot);
        context.Watcher.Changed += (_, _) => center.Reload();
        app.MapGet("/", (HttpContext http) => center.Html(http, "index", p => p.InstanceList()));
        app.MapGet("/index.html", (HttpContext http) => center.Html(http, "index", p => p.InstanceList()));
        app.MapGet("/instances/{file}", (HttpContext http, string file) =>
        {
            if (Page(file, "_page-") is { } page)
            {
                return center.Html(http, $"instances:{page}", p => p.InstanceList(page));
            }
            var name = Stem(file);
            return center.Html(http, $"instance:{name}", p => p.Data.Instance(name) is { } i ? p.Instance(i) : null, $"no instance named '{name}' in the registry or the specs");
        });
        app.MapGet("/runs/{file}", (HttpContext http, string file) =>
        {
            var filter = FilterOf(http.Request);
            if (file == "index.html" || Page(file, "_page-") is not null)
            {
                var page = file == "index.html" ? 1 : Page(file, "_page-")!.Value;
                return filter.IsEmpty
                    ? center.Html(http, $"runs:{page}", p => p.RunList(page))
                    : center.Html(http, null, p => p.RunList(page, filter));
            }
            return center.Html(http, null, _ => null, $"no page '{file}' of runs");
        });
        app.MapGet("/executions/{file}", (HttpContext http, string file) => Executions(center, http, file, 1));
        app.MapGet("/executions/{page}/{file}", (HttpContext http, string page, string file) =>
            page.StartsWith('_') && int.TryParse(page.AsSpan(1), out var number) && number > 1
                ? Executions(center, http, file, number)
                : center.Html(http, null, _ => null, $"no page '{page}/{file}' of executions"));
        app.MapGet("/datasets/index.html", (HttpContext http) => center.Html(http, "datasets", p => p.DatasetList()));
        app.MapGet("/datasets/{dataset}/{file}", (HttpContext http, string dataset, string file) =>
        {
            var version = Stem(file);
            return center.Html(http, $"profile:{dataset}:{version}", p => p.Data.Profile(dataset, version) is { } profile ? p.Profile(profile) : null,
                $"no profile of dataset '{dataset}' at content version '{version}'");
        });
        app.MapGet("/api/datasets", (HttpContext http) => center.Json(http, "api:datasets", d => CenterApi.Datasets(d)));
        app.MapGet("/api/datasets/{dataset}/{version}", (HttpContext http, string dataset, string version) =>
            center.Json(http, $"api:profile:{dataset}:{version}", d => d.Profile(dataset, version), $"no profile of dataset '{dataset}' at content version '{version}'"));
        app.MapGet("/runs/", (HttpContext http) => center.Html(http, null, p => p.RunList(1, FilterOf(http.Request))));

        app.MapGet("/api/instances", (HttpContext http) => center.Json(http, "api:instances", d => CenterApi.Instances(d)));
        app.MapGet("/api/instances/{name}", (HttpContext http, string name) =>
            center.Json(http, $"api:instance:{name}", d => d.Instance(name) is { } i ? CenterApi.Instance(d, i) : null, $"no instance named '{name}'"));
        app.MapGet("/api/runs", (HttpContext http) =>
        {
            var page = int.TryParse(http.Request.Query["page"], out var p) && p > 0 ? p : 1;
            return center.Json(http, null, d => CenterApi.Runs(d, FilterOf(http.Request), page));
        });
        app.MapGet("/api/runs/{id}", (HttpContext http, string id) =>
            center.Json(http, $"api:run:{id}", d => d.Run(id) is { } r ? CenterApi.Run(d, r) : null, $"no run '{id}'"));
        return app;
    }

    private static IResult Executions(CenterService center, HttpContext http, string file, int page)
    {
        var name = Stem(file);
        return center.Html(http, $"executions:{name}:{page}",
            p => p.Data.Instance(name) is { } i && page <= CenterPages.ExecutionPages(i) ? p.Executions(i, page) : null,
            $"no runs page {page} of an instance named '{name}'");
    }

    private static int? Page(string file, string prefix) =>
        file.StartsWith(prefix, StringComparison.Ordinal) && file.EndsWith(".html", StringComparison.Ordinal)
            && int.TryParse(file.AsSpan(prefix.Length, file.Length - prefix.Length - 5), out var page) && page > 0 ? page : null;

    private static string Stem(string file) => file.EndsWith(".html", StringComparison.Ordinal) ? file[..^5] : file;

    private static RunFilter FilterOf(HttpRequest request)
    {
        static string? Value(HttpRequest r, string key) => r.Query[key].ToString() is { Length: > 0 } v ? v : null;
        return new RunFilter(Value(request, "instance"), Value(request, "kind"), Value(request, "status"));
    }
}

/// <summary>
/// Holds the Center's read model and caches rendered pages and JSON for the commit they were made from; a registry
/// change (the watcher) reloads the model and empties the cache. A failed reload keeps what was served.
/// </summary>
internal sealed class CenterService(string repositoryRoot)
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly Lock _gate = new();
    private (CenterPages Pages, ConcurrentDictionary<string, byte[]> Cache)? _current;

    public void Reload()
    {
        var data = CenterReader.Read(repositoryRoot, withPlan: true);
        lock (_gate)
        {
            _current = (new CenterPages(data, live: true), new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal));
        }
    }

    private (CenterPages Pages, ConcurrentDictionary<string, byte[]> Cache) Current()
    {
        lock (_gate)
        {
            if (_current is { } current)
            {
                return current;
            }
        }
        Reload();
        lock (_gate)
        {
            return _current!.Value;
        }
    }

    public IResult Html(HttpContext http, string? cacheKey, Func<CenterPages, string?> render, string? missing = null)
    {
        var (pages, cache) = Current();
        byte[]? bytes;
        if (cacheKey is null || !cache.TryGetValue(cacheKey, out bytes))
        {
            var html = render(pages);
            if (html is null)
            {
                return Results.Content(CenterPages.NotFound(missing ?? "not found"), "text/html; charset=utf-8", Utf8, StatusCodes.Status404NotFound);
            }
            bytes = Utf8.GetBytes(html);
            if (cacheKey is not null)
            {
                cache[cacheKey] = bytes;
            }
        }
        Headers(http);
        return Results.Bytes(bytes, "text/html; charset=utf-8");
    }

    public IResult Json(HttpContext http, string? cacheKey, Func<CenterData, object?> build, string? missing = null)
    {
        var (pages, cache) = Current();
        byte[]? bytes;
        if (cacheKey is null || !cache.TryGetValue(cacheKey, out bytes))
        {
            var value = build(pages.Data);
            if (value is null)
            {
                return Results.Json(new { error = missing ?? "not found", status = 404 }, statusCode: StatusCodes.Status404NotFound);
            }
            bytes = CenterApi.Serialize(value);
            if (cacheKey is not null)
            {
                cache[cacheKey] = bytes;
            }
        }
        Headers(http);
        return Results.Bytes(bytes, "application/json; charset=utf-8");
    }

    private static void Headers(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    }
}
