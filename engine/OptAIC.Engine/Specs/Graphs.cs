namespace OptAIC.Engine.Specs;

/// <summary>Cycle finding and ordering over name graphs (pipeline steps, instance inputs, features).</summary>
public static class Graphs
{
    /// <summary>A cycle as a path that starts and ends on the same node ("a -> b -> a"), or null.</summary>
    public static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, IReadOnlyList<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var stack = new List<string>();
        foreach (var start in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }
        return null;

        List<string>? Visit(string node)
        {
            if (state.TryGetValue(node, out var s))
            {
                if (s == 2)
                {
                    return null;
                }
                var from = stack.IndexOf(node);
                return [.. stack.Skip(from), node];
            }
            state[node] = 1;
            stack.Add(node);
            if (edges.TryGetValue(node, out var next))
            {
                foreach (var target in next)
                {
                    if (Visit(target) is { } cycle)
                    {
                        return cycle;
                    }
                }
            }
            stack.RemoveAt(stack.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    /// <summary>Nodes ordered so that each comes after everything it depends on; ties by name. Assumes no cycle.</summary>
    public static IReadOnlyList<string> TopologicalOrder(IReadOnlyDictionary<string, IReadOnlyList<string>> dependsOn)
    {
        var order = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in dependsOn.Keys.Order(StringComparer.Ordinal))
        {
            Visit(node);
        }
        return order;

        void Visit(string node)
        {
            if (!done.Add(node))
            {
                return;
            }
            if (dependsOn.TryGetValue(node, out var requirements))
            {
                foreach (var requirement in requirements.Order(StringComparer.Ordinal))
                {
                    Visit(requirement);
                }
            }
            order.Add(node);
        }
    }
}
