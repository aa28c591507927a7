using Prometheus;

namespace OptAIC.Engine.Web.Serving;

/// <summary>
/// Serving's metrics in Prometheus text format at <c>/metrics</c> (prometheus-net, one registry per host, so two
/// hosts in one process never mix their counts): requests and errors by model and kind, a latency histogram per
/// model, rows scored, the loaded version per model, reloads and failed loads. The <c>model</c> label only ever
/// holds a served instance's name (anything else is <c>unknown</c>), so a stream of made-up names cannot grow it.
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>The label for a request naming no served model.</summary>
    public const string UnknownModel = "unknown";

    private readonly Counter _requests;
    private readonly Counter _errors;
    private readonly Histogram _latency;
    private readonly Counter _rows;
    private readonly Gauge _version;
    private readonly Gauge _loadFailed;
    private readonly Counter _reloads;
    private readonly Counter _loadFailures;
    private readonly Counter _unseen;

    public ServingMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("optaic_serving_requests_total", "Serving requests by model, kind (infer, metadata, ready) and HTTP status.", "model", "kind", "status");
        _errors = factory.CreateCounter("optaic_serving_errors_total", "Serving requests that failed, by model and kind (bad_request, guardrail, not_found, not_ready, too_large, internal).", "model", "kind");
        _latency = factory.CreateHistogram("optaic_serving_infer_duration_seconds", "Inference latency per model, from the request's start to its response.", new HistogramConfiguration
        {
            LabelNames = ["model"],
            Buckets = Histogram.ExponentialBuckets(0.0000625, 2, 18),
        });
        _rows = factory.CreateCounter("optaic_serving_rows_scored_total", "Feature rows scored per model.", "model");
        _version = factory.CreateGauge("optaic_serving_model_version", "The version each model serves by default (its production version, or the last one that loaded).", "model");
        _loadFailed = factory.CreateGauge("optaic_serving_model_load_failed", "1 while a model's production version failed to load (the version before it keeps serving).", "model", "version");
        _reloads = factory.CreateCounter("optaic_serving_reloads_total", "Reloads after the registry's commit moved, by result (ok, partial: some model failed to load, failed: nothing could be read).", "result");
        _unseen = factory.CreateCounter("optaic_serving_unseen_categories_total", "Rows scored with a category the model never saw in training, per model and categorical feature (scored, as apply scores them).", "model", "feature");
        _loadFailures = factory.CreateCounter("optaic_serving_model_load_failures_total", "Model versions that failed to load.", "model");
    }

    public CollectorRegistry Registry { get; }

    public void Request(string model, string kind, int status) => _requests.WithLabels(model, kind, StatusText(status)).Inc();

    public void Error(string model, string kind) => _errors.WithLabels(model, kind).Inc();

    public void Inferred(string model, int rows, double seconds)
    {
        _latency.WithLabels(model).Observe(seconds);
        _rows.WithLabels(model).Inc(rows);
    }

    /// <summary>Counts a request's rows with unseen categories; <paramref name="feature"/> is always one of the model's own features.</summary>
    public void Unseen(string model, IReadOnlyDictionary<string, long>? unseen)
    {
        foreach (var (feature, count) in unseen ?? new Dictionary<string, long>())
        {
            _unseen.WithLabels(model, feature).Inc(count);
        }
    }

    public void Reloaded(string result) => _reloads.WithLabels(result).Inc();

    /// <summary>Sets the loaded version and the failed-load flags after a reload; drops the series of models no longer served.</summary>
    public void Models(IEnumerable<ModelSlot> slots, IEnumerable<string> removed)
    {
        foreach (var name in removed)
        {
            _version.RemoveLabelled(name);
            foreach (var labels in _loadFailed.GetAllLabelValues().Where(l => l[0] == name).ToList())
            {
                _loadFailed.RemoveLabelled(labels);
            }
        }
        foreach (var slot in slots)
        {
            if (slot.Serving is { } serving)
            {
                _version.WithLabels(slot.Name).Set(serving.Version);
            }
            foreach (var labels in _loadFailed.GetAllLabelValues().Where(l => l[0] == slot.Name).ToList())
            {
                _loadFailed.RemoveLabelled(labels);
            }
            if (slot.Error is not null && slot.WantedVersion is { } wanted)
            {
                _loadFailed.WithLabels(slot.Name, wanted.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(1);
            }
        }
    }

    public void LoadFailed(string model) => _loadFailures.WithLabels(model).Inc();

    public Task WriteAsync(Stream to, CancellationToken ct) => Registry.CollectAndExportAsTextAsync(to, ExpositionFormat.PrometheusText, ct);

    private static readonly string[] Statuses = [.. Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static string StatusText(int status) => status is >= 0 and < 600 ? Statuses[status] : "other";
}
