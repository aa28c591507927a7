namespace OptAIC.Engine.Workflows;

/// <summary>The DAG logic shared by steps within a run and runs within a plan.</summary>
internal static class Dag
{
    /// <summary>Duplicate ids, dependencies on unknown nodes, and cycles (each named by its path).</summary>
    public static IReadOnlyList<string> FindProblems(IReadOnlyList<(string Id, IReadOnlyList<string> Dependencies)> nodes, string noun)
    {
        var problems = new List<string>();
        var deps = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (id, dependencies) in nodes)
        {
            if (!deps.TryAdd(id, dependencies))
            {
                problems.Add($"{noun} id '{id}' is used more than once");
            }
        }

        foreach (var (id, dependencies) in nodes)
        {
            problems.AddRange(dependencies.Where(d => !deps.ContainsKey(d)).Select(d => $"{noun} '{id}' depends on '{d}', which does not exist"));
        }

        // Depth-first search; a dependency still on the stack closes a cycle.
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the stack, true: done
        var stack = new List<string>();
        var cycles = new HashSet<string>(StringComparer.Ordinal);
        void Visit(string id)
        {
            state[id] = false;
            stack.Add(id);
            foreach (var dep in deps[id].Where(deps.ContainsKey))
            {
                if (!state.TryGetValue(dep, out var done))
                {
                    Visit(dep);
                }
                else if (!done)
                {
                    var path = stack.Skip(stack.LastIndexOf(dep)).Append(dep);
                    cycles.Add($"dependency cycle: {string.Join(" -> ", path)} (each {noun} depends on the next)");
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[id] = true;
        }

        foreach (var id in deps.Keys.Where(id => !state.ContainsKey(id)))
        {
            Visit(id);
        }

        problems.AddRange(cycles);
        return problems;
    }

    /// <summary>
    /// Runs the nodes of a valid DAG, each after its dependencies, at most <paramref name="maxParallel"/> at once.
    /// <paramref name="run"/> returns whether dependents may proceed; a node whose dependency did not is passed to
    /// <paramref name="skip"/> with that dependency. Once <paramref name="ct"/> is cancelled nothing new starts, running
    /// nodes finish (they see the token) and the nodes never started are returned.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RunAsync(
        IReadOnlyList<(string Id, IReadOnlyList<string> Dependencies)> nodes,
        IReadOnlySet<string> alreadyDone,
        int maxParallel,
        Func<string, CancellationToken, Task<bool>> run,
        Action<string, string> skip,
        CancellationToken ct)
    {
        var ok = alreadyDone.ToDictionary(id => id, _ => true, StringComparer.Ordinal);
        var pending = TopologicalOrder(nodes).Where(n => !ok.ContainsKey(n.Id)).ToList();
        var running = new List<(Task<bool> Task, string Id)>();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            while (true)
            {
                // Pending is in topological order, so one pass propagates skips down whole chains.
                for (var i = 0; i < pending.Count && !abort.IsCancellationRequested;)
                {
                    var (id, dependencies) = pending[i];
                    if (dependencies.Any(d => !ok.ContainsKey(d)) || (running.Count >= maxParallel && dependencies.All(d => ok[d])))
                    {
                        i++;
                        continue;
                    }

                    pending.RemoveAt(i);
                    if (dependencies.FirstOrDefault(d => !ok[d]) is { } failed)
                    {
                        ok[id] = false;
                        skip(id, failed);
                    }
                    else
                    {
                        // On the thread pool: an activity that works synchronously must not hold up the loop.
                        running.Add((Task.Run(() => run(id, abort.Token), CancellationToken.None), id));
                    }
                }

                if (running.Count == 0)
                {
                    return pending.Select(n => n.Id).ToList();
                }

                var finished = await Task.WhenAny(running.Select(r => r.Task));
                var index = running.FindIndex(r => r.Task == finished);
                ok[running[index].Id] = await finished;
                running.RemoveAt(index);
            }
        }
        catch
        {
            // A node's own bookkeeping failed (e.g. the journal's disk): stop the others before giving up.
            await abort.CancelAsync();
            await Task.WhenAll(running.Select(r => r.Task)).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
    }

    private static List<(string Id, IReadOnlyList<string> Dependencies)> TopologicalOrder(IReadOnlyList<(string Id, IReadOnlyList<string> Dependencies)> nodes)
    {
        var byId = nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
        var order = new List<(string, IReadOnlyList<string>)>(nodes.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit((string Id, IReadOnlyList<string> Dependencies) node)
        {
            if (seen.Add(node.Id))
            {
                foreach (var dep in node.Dependencies)
                {
                    Visit(byId[dep]);
                }

                order.Add(node);
            }
        }

        foreach (var node in nodes)
        {
            Visit(node);
        }

        return order;
    }
}
