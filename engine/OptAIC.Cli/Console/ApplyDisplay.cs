using System.Collections.Concurrent;
using System.Diagnostics;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using Spectre.Console;

namespace OptAIC.Cli.Console;

/// <summary>
/// What apply shows while it runs. On a terminal: a live display (Spectre.Console) with one line per
/// running action, its stage and elapsed time, and each finished action printed above it. Elsewhere
/// (a CI log, a pipe): plain lines as actions start, change stage and finish. Quiet: nothing until the summary.
/// </summary>
public abstract class ApplyDisplay : IProgress<ApplyEvent>
{
    public static ApplyDisplay Create(bool quiet) =>
        quiet ? new QuietDisplay() : Terminal.IsInteractive ? new LiveDisplay() : new PlainDisplay();

    public abstract void Report(ApplyEvent value);

    /// <summary>Runs apply with the display up (the live display needs the work inside its scope).</summary>
    public virtual Task<T> RunAsync<T>(Func<Task<T>> work) => work();

    /// <summary>"  [ 3/18] ok     + train spx-alpha: version 1 ...", the mark painted by <paramref name="paint"/> (colour, text) and the rest by <paramref name="plain"/>.</summary>
    protected static string FinishedLine(ApplyEvent value, Func<string, string, string> paint, Func<string, string> plain)
    {
        var (color, mark) = value.Kind switch
        {
            ApplyEventKind.Failed when value.Message.StartsWith("cancelled", StringComparison.Ordinal) => ("yellow", "stop  "),
            ApplyEventKind.Failed => ("red", "FAILED"),
            _ when value.Message.StartsWith("nothing registered", StringComparison.Ordinal) => ("yellow", "gate  "),
            _ => ("green", "ok    "),
        };
        return $"{plain($"  [{value.Done,3}/{value.Total}] ")}{paint(color, mark)} {plain($"{Name(value.Action)}: {value.Message}")}";
    }

    protected static string Name(PlannedAction action) => $"{action.Change} {PlanFormatter.Verb(action.Kind)} {action.Instance}";

    protected static string Elapsed(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{(int)t.TotalMinutes}:{t:ss}";

    private sealed class QuietDisplay : ApplyDisplay
    {
        public override void Report(ApplyEvent value)
        {
        }
    }

    /// <summary>One line per event, in order: what a CI log needs to show that work is going on.</summary>
    private sealed class PlainDisplay : ApplyDisplay
    {
        private readonly object _gate = new();
        private readonly Dictionary<string, Stopwatch> _running = new(StringComparer.Ordinal);

        public override void Report(ApplyEvent value)
        {
            lock (_gate)
            {
                if (value.Kind == ApplyEventKind.Started)
                {
                    var first = _running.TryAdd(value.Action.Id, Stopwatch.StartNew());
                    System.Console.Out.WriteLine(first
                        ? $"  [{value.Done,3}/{value.Total}] start  {Name(value.Action)}"
                        : $"  [{value.Done,3}/{value.Total}] ...    {Name(value.Action)}: {value.Message} ({Elapsed(_running[value.Action.Id].Elapsed)})");
                    return;
                }
                var took = _running.Remove(value.Action.Id, out var watch) ? $" ({Elapsed(watch.Elapsed)})" : "";
                System.Console.Out.WriteLine(FinishedLine(value, Terminal.Paint, t => t) + took);
            }
        }
    }

    /// <summary>
    /// The events are queued and drawn by one loop (Spectre's live display is not for many writers); finished
    /// actions are written through the same console, which puts them above the live lines.
    /// </summary>
    private sealed class LiveDisplay : ApplyDisplay
    {
        private readonly ConcurrentQueue<ApplyEvent> _events = new();
        private readonly Dictionary<string, (PlannedAction Action, string Stage, Stopwatch Watch)> _running = new(StringComparer.Ordinal);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = Terminal.ColorEnabled ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(System.Console.Out),
        });
        private int _done;
        private int _total;

        public override void Report(ApplyEvent value) => _events.Enqueue(value);

        public override async Task<T> RunAsync<T>(Func<Task<T>> work)
        {
            T result = default!;
            await _console.Live(new Text("")).AutoClear(true).Overflow(VerticalOverflow.Ellipsis).StartAsync(async live =>
            {
                var task = Task.Run(work);
                while (!task.IsCompleted)
                {
                    Draw(live, Render);
                    await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(150))).ConfigureAwait(false);
                }
                Draw(live, () => new Text(""));
                result = await task.ConfigureAwait(false);
            }).ConfigureAwait(false);
            return result;
        }

        /// <summary>Takes the new events, redraws the running lines, then prints the finished ones above them.</summary>
        private void Draw(LiveDisplayContext live, Func<Spectre.Console.Rendering.IRenderable> render)
        {
            var finished = new List<string>();
            while (_events.TryDequeue(out var value))
            {
                _total = value.Total;
                _done = value.Done;
                if (value.Kind == ApplyEventKind.Started)
                {
                    var stage = value.Message == "started" ? "starting" : value.Message;
                    _running[value.Action.Id] = _running.TryGetValue(value.Action.Id, out var known)
                        ? known with { Stage = stage }
                        : (value.Action, stage, Stopwatch.StartNew());
                    continue;
                }
                var took = _running.Remove(value.Action.Id, out var run) ? $" ({Elapsed(run.Watch.Elapsed)})" : "";
                finished.Add(FinishedLine(value, (color, text) => Terminal.ColorEnabled ? $"[{color}]{Markup.Escape(text)}[/]" : Markup.Escape(text), Markup.Escape) + took);
            }
            live.UpdateTarget(render());
            foreach (var line in finished)
            {
                _console.MarkupLine(line);
            }
        }

        private Grid Render()
        {
            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap()).AddColumn(new GridColumn().NoWrap().RightAligned());
            foreach (var (action, stage, watch) in _running.Values.OrderBy(r => r.Watch.Elapsed).Reverse())
            {
                grid.AddRow(new Text($"  ⋯ {Name(action)}"), new Text(stage, Styled(Decoration.Dim)), new Text(Elapsed(watch.Elapsed)));
            }
            grid.AddRow(new Text($"  {_done}/{_total} done, {_running.Count} running", Styled(Decoration.Bold)), new Text(""), new Text(Elapsed(_clock.Elapsed)));
            return grid;
        }

        // NO_COLOR: no styling at all, only the cursor moves that redraw the lines.
        private static Style Styled(Decoration decoration) => Terminal.ColorEnabled ? new Style(decoration: decoration) : Style.Plain;
    }
}
