using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OptAIC.Engine.ML.Inference;
using OptAIC.Engine.Plan;

namespace OptAIC.Engine.Web.Serving;

/// <summary>
/// Model serving over the Open Inference Protocol's HTTP/REST binding: health, server and model metadata, model
/// readiness and inference (by default the instance's production version, or a version by number), and
/// <c>/metrics</c>. Models reload when the registry's commit moves (<see cref="WebContext.Watcher"/>).
/// </summary>
public static class ServingEndpoints
{
    /// <summary>Maps the serving endpoints (/v2/..., /metrics), loads the production models and reloads them on every registry change.</summary>
    public static WebApplication MapServing(this WebApplication app, WebContext context)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(context);
        var serving = new Serving(context);
        serving.Catalog.Reload(context.Watcher.Commit);
        context.Watcher.Changed += (_, change) => serving.Reload(change.Commit);
        Map(app, "GET", "/v2", serving.ServerMetadata);
        Map(app, "GET", "/v2/health/live", serving.Live);
        Map(app, "GET", "/v2/health/ready", serving.Ready);
        Map(app, "GET", "/v2/models/{name}", http => serving.Metadata(http, versioned: false));
        Map(app, "GET", "/v2/models/{name}/versions/{version}", http => serving.Metadata(http, versioned: true));
        Map(app, "GET", "/v2/models/{name}/ready", http => serving.ModelReady(http, versioned: false));
        Map(app, "GET", "/v2/models/{name}/versions/{version}/ready", http => serving.ModelReady(http, versioned: true));
        Map(app, "POST", "/v2/models/{name}/infer", http => serving.Infer(http, versioned: false));
        Map(app, "POST", "/v2/models/{name}/versions/{version}/infer", http => serving.Infer(http, versioned: true));
        Map(app, "GET", "/metrics", serving.MetricsText);
        ServingRegistry.Add(app, serving);
        return app;
    }

    /// <summary>The serving state of a host built by <see cref="OptaicWebHost.Create"/> (tests and benchmarks read it).</summary>
    public static ModelCatalog CatalogOf(WebApplication app) => ServingRegistry.Get(app).Catalog;

    /// <summary>The metrics of a host's serving.</summary>
    public static ServingMetrics MetricsOf(WebApplication app) => ServingRegistry.Get(app).Metrics;

    private static void Map(WebApplication app, string method, string pattern, RequestDelegate handler) =>
        app.MapMethods(pattern, [method], handler);

    private static class ServingRegistry
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<WebApplication, Serving> Table = [];

        public static void Add(WebApplication app, Serving serving) => Table.AddOrUpdate(app, serving);

        public static Serving Get(WebApplication app) =>
            Table.TryGetValue(app, out var serving) ? serving : throw new InvalidOperationException("serving is not mapped on this host");
    }

    private sealed class Serving
    {
        private const string Json = "application/json; charset=utf-8";
        private static readonly byte[] LiveBody = """{"live":true}"""u8.ToArray();
        private readonly WebContext _context;
        private readonly byte[] _serverMetadata = OipProtocol.ServerMetadata(ReconcileSession.EngineVersion);

        public Serving(WebContext context)
        {
            _context = context;
            Metrics = new ServingMetrics();
            Catalog = new ModelCatalog(context.RepositoryRoot, Metrics);
        }

        public ServingMetrics Metrics { get; }

        public ModelCatalog Catalog { get; }

        public void Reload(string? commit)
        {
            var result = Catalog.Reload(commit);
            foreach (var failure in result.Failed)
            {
                System.Console.Error.WriteLine($"optaic serve: reload after {commit?[..Math.Min(7, commit.Length)]}: {failure} (the version before keeps serving)");
            }
        }

        public Task ServerMetadata(HttpContext http) => Write(http, 200, _serverMetadata);

        public Task Live(HttpContext http) => Write(http, 200, LiveBody);

        public Task Ready(HttpContext http)
        {
            var snapshot = Catalog.Current;
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteBoolean("ready", snapshot.Ready);
                json.WriteString("commit", snapshot.Commit);
                if (snapshot.Error is not null)
                {
                    json.WriteString("error", snapshot.Error);
                }
                json.WriteStartArray("models");
                foreach (var slot in snapshot.Models.Values)
                {
                    WriteSlot(json, slot);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            return Write(http, snapshot.Ready ? 200 : 503, buffer.WrittenSpan.ToArray());
        }

        public Task Metadata(HttpContext http, bool versioned)
        {
            var (name, version, problem) = Route(http, versioned);
            if (problem is not null)
            {
                return Fail(http, ServingMetrics.UnknownModel, "metadata", 400, "bad_request", problem);
            }
            var snapshot = Catalog.Current;
            var (model, status, error) = ModelCatalog.Find(snapshot, name, version);
            var label = snapshot.Models.ContainsKey(name) ? name : ServingMetrics.UnknownModel;
            if (model is null)
            {
                return Fail(http, label, "metadata", status, status == 404 ? "not_found" : "not_ready", error!);
            }
            var versions = snapshot.Store?.GetVersionNumbers(name) ?? [model.Version];
            Metrics.Request(label, "metadata", 200);
            return Write(http, 200, OipProtocol.ModelMetadata(model, versions));
        }

        public Task ModelReady(HttpContext http, bool versioned)
        {
            var (name, version, problem) = Route(http, versioned);
            if (problem is not null)
            {
                return Fail(http, ServingMetrics.UnknownModel, "ready", 400, "bad_request", problem);
            }
            var snapshot = Catalog.Current;
            var (model, status, error) = ModelCatalog.Find(snapshot, name, version);
            var label = snapshot.Models.ContainsKey(name) ? name : ServingMetrics.UnknownModel;
            if (status == 404)
            {
                return Fail(http, label, "ready", 404, "not_found", error!);
            }
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                if (model is not null)
                {
                    json.WriteString("version", model.Version.ToString(CultureInfo.InvariantCulture));
                }
                json.WriteBoolean("ready", model is not null);
                if (!versioned && snapshot.Models.TryGetValue(name, out var slot) && slot.Error is not null)
                {
                    // A newer production version failed to load; the one named above keeps serving.
                    json.WriteString("failed_version", slot.WantedVersion?.ToString(CultureInfo.InvariantCulture));
                    json.WriteString("error", slot.Error);
                }
                else if (model is null)
                {
                    json.WriteString("error", error);
                }
                json.WriteEndObject();
            }
            Metrics.Request(label, "ready", model is null ? 503 : 200);
            return Write(http, model is null ? 503 : 200, buffer.WrittenSpan.ToArray());
        }

        public async Task Infer(HttpContext http, bool versioned)
        {
            var started = Stopwatch.GetTimestamp();
            var (name, version, problem) = Route(http, versioned);
            if (problem is not null)
            {
                await Fail(http, ServingMetrics.UnknownModel, "infer", 400, "bad_request", problem).ConfigureAwait(false);
                return;
            }
            // One snapshot for the whole request: a reload swapping models now does not touch this one.
            var snapshot = Catalog.Current;
            var (model, status, error) = ModelCatalog.Find(snapshot, name, version);
            var label = snapshot.Models.ContainsKey(name) ? name : ServingMetrics.UnknownModel;
            if (model is null)
            {
                await Fail(http, label, "infer", status, status == 404 ? "not_found" : "not_ready", error!).ConfigureAwait(false);
                return;
            }
            byte[]? body = null;
            try
            {
                int length;
                try
                {
                    (body, length) = await ReadBody(http.Request, _context.Options.MaxRequestBodyBytes).ConfigureAwait(false);
                }
                catch (BadHttpRequestException e)
                {
                    var tooLarge = e.StatusCode == StatusCodes.Status413PayloadTooLarge;
                    await Fail(http, label, "infer", e.StatusCode, tooLarge ? "too_large" : "bad_request",
                        tooLarge ? $"the request body is over the {_context.Options.MaxRequestBodyBytes:N0}-byte cap; send fewer rows per request" : "the request body could not be read").ConfigureAwait(false);
                    return;
                }
                InferRequest request;
                try
                {
                    request = InferRequestParser.Parse(body.AsMemory(0, length), model);
                }
                catch (InferRequestException e)
                {
                    if (RequestLog.WantsBodies(http))
                    {
                        RequestLog.Bodies(http, body.AsSpan(0, length), System.Text.Encoding.UTF8.GetBytes(e.Message));
                    }
                    await Fail(http, label, "infer", 400, "bad_request", e.Message).ConfigureAwait(false);
                    return;
                }
                ScoredRows scored;
                try
                {
                    scored = model.Score(request.Features, request.Rows);
                }
                catch (GuardrailException e)
                {
                    // The scores broke the definition's guardrails: none is returned, as apply publishes none.
                    await Fail(http, label, "infer", 422, "guardrail", $"{model.Name} version {model.Version}: {e.Message}").ConfigureAwait(false);
                    return;
                }
                var response = new ArrayBufferWriter<byte>(256 + (scored.Rows * 24));
                OipProtocol.WriteInferResponse(response, model, request.Id, scored, request.Outputs, request.Unseen);
                Metrics.Unseen(label, request.Unseen);
                http.Response.StatusCode = 200;
                http.Response.ContentType = Json;
                http.Response.ContentLength = response.WrittenCount;
                if (RequestLog.IsOn(http))
                {
                    RequestLog.Note(http, string.Create(CultureInfo.InvariantCulture, $"model={model.Name} version={model.Version} rows={scored.Rows}"));
                    if (RequestLog.WantsBodies(http))
                    {
                        RequestLog.Bodies(http, body.AsSpan(0, length), response.WrittenSpan);
                    }
                }
                await http.Response.Body.WriteAsync(response.WrittenMemory).ConfigureAwait(false);
                Metrics.Request(label, "infer", 200);
                Metrics.Inferred(label, scored.Rows, Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
            finally
            {
                if (body is not null)
                {
                    ArrayPool<byte>.Shared.Return(body);
                }
            }
        }

        public async Task MetricsText(HttpContext http)
        {
            http.Response.StatusCode = 200;
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await Metrics.WriteAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
        }

        private Task Fail(HttpContext http, string model, string kind, int status, string errorKind, string message)
        {
            RequestLog.Note(http, $"model={model} error={errorKind}");
            Metrics.Request(model, kind, status);
            Metrics.Error(model, errorKind);
            return OptaicWebHost.WriteError(http, status, message);
        }

        private static (string Name, int? Version, string? Problem) Route(HttpContext http, bool versioned)
        {
            var name = http.Request.RouteValues["name"] as string ?? "";
            if (!versioned)
            {
                return (name, null, null);
            }
            var text = http.Request.RouteValues["version"] as string ?? "";
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
                ? (name, version, null)
                : (name, null, $"version '{(text.Length <= 32 ? text : text[..32] + "...")}' is not a version number (1, 2, ...)");
        }

        private static void WriteSlot(Utf8JsonWriter json, ModelSlot slot)
        {
            json.WriteStartObject();
            json.WriteString("name", slot.Name);
            if (slot.Serving is { } serving)
            {
                json.WriteString("version", serving.Version.ToString(CultureInfo.InvariantCulture));
            }
            json.WriteBoolean("ready", slot.Serving is not null);
            if (slot.Error is not null)
            {
                json.WriteString("failed_version", slot.WantedVersion?.ToString(CultureInfo.InvariantCulture));
                json.WriteString("error", slot.Error);
            }
            json.WriteEndObject();
        }

        private static Task Write(HttpContext http, int status, byte[] body)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = Json;
            http.Response.ContentLength = body.Length;
            return http.Response.Body.WriteAsync(body).AsTask();
        }

        /// <summary>The whole body into a pooled buffer (return it); Kestrel stops a body over the cap with a 413.</summary>
        private static async Task<(byte[] Buffer, int Length)> ReadBody(HttpRequest request, long cap)
        {
            if (request.ContentLength is { } declared && declared > cap)
            {
                throw new BadHttpRequestException("request body too large", StatusCodes.Status413PayloadTooLarge);
            }
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 16, cap) + 1);
            var length = 0;
            try
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (length >= cap)
                        {
                            throw new BadHttpRequestException("request body too large", StatusCodes.Status413PayloadTooLarge);
                        }
                        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, cap + 1));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    var read = await request.Body.ReadAsync(buffer.AsMemory(length)).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return (buffer, length);
                    }
                    length += read;
                }
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
    }
}
