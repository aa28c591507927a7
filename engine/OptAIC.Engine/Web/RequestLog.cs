using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace OptAIC.Engine.Web;

/// <summary>
/// <c>--log-requests</c>: one line per request (time, method, path without its query, status, duration, bytes, and
/// what an endpoint adds through <see cref="Note"/>: model, version, rows), and with <see cref="RequestLogging.Bodies"/>
/// the inference request and response bodies an endpoint hands over through <see cref="Bodies"/>. Off by default;
/// input data appear only with bodies.
/// </summary>
public static class RequestLog
{
    private const int MaxBodyChars = 64 * 1024;
    private static readonly object NoteKey = new();
    private static readonly object BodiesKey = new();

    /// <summary>Whether this request is logged (an endpoint then adds its <see cref="Note"/>).</summary>
    public static bool IsOn(HttpContext http) => http?.Items.ContainsKey(NoteKey) == true;

    /// <summary>Whether this request's bodies are wanted (an endpoint then calls <see cref="Bodies"/>).</summary>
    public static bool WantsBodies(HttpContext http) => http?.Items.ContainsKey(BodiesKey) == true;

    /// <summary>Adds words to the request's line (model=..., rows=...); never input data.</summary>
    public static void Note(HttpContext http, string words)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.ContainsKey(NoteKey))
        {
            http.Items[NoteKey] = words;
        }
    }

    /// <summary>The request and response bodies of an inference, logged only under <see cref="RequestLogging.Bodies"/>.</summary>
    public static void Bodies(HttpContext http, ReadOnlySpan<byte> request, ReadOnlySpan<byte> response)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.ContainsKey(BodiesKey))
        {
            http.Items[BodiesKey] = (Text(request), Text(response));
        }
    }

    internal static async Task Write(HttpContext http, RequestDelegate next, TextWriter log, RequestLogging level)
    {
        var started = Stopwatch.GetTimestamp();
        http.Items[NoteKey] = null;
        if (level == RequestLogging.Bodies)
        {
            http.Items[BodiesKey] = null;
        }
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            var line = new StringBuilder(160);
            line.Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
                .Append(' ').Append(http.Request.Method)
                .Append(' ').Append(http.Request.PathBase).Append(http.Request.Path)
                .Append(' ').Append(http.Response.StatusCode.ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture)).Append(" ms")
                .Append(" in=").Append((http.Request.ContentLength ?? 0).ToString(CultureInfo.InvariantCulture))
                .Append(" out=").Append((http.Response.ContentLength ?? 0).ToString(CultureInfo.InvariantCulture));
            if (http.Items[NoteKey] is string note)
            {
                line.Append(' ').Append(note);
            }
            await log.WriteLineAsync(line.ToString()).ConfigureAwait(false);
            if (http.Items.TryGetValue(BodiesKey, out var bodies) && bodies is ValueTuple<string, string>(var request, var response))
            {
                await log.WriteLineAsync("  request: " + request).ConfigureAwait(false);
                await log.WriteLineAsync("  response: " + response).ConfigureAwait(false);
            }
        }
    }

    private static string Text(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, MaxBodyChars)]);
        return bytes.Length <= MaxBodyChars ? text : $"{text}... ({bytes.Length:N0} bytes in all)";
    }
}
