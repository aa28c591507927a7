using System.Globalization;

namespace OptAIC.Engine.ML.Training;

/// <summary>
/// A class label given by name (a target computed from a category column, such as <c>lead(weather, 1)</c>):
/// the classes are the definition's <c>model.classes</c> in their order, or else the categories the training
/// rows hold in ordinal order; each label becomes its class's index. The version records the names.
/// </summary>
public static class ClassLabels
{
    /// <summary>
    /// <paramref name="data"/> with each label code (into <paramref name="categories"/>) replaced by its class
    /// index, and the class names. A label outside declared classes is an error naming it and its row.
    /// </summary>
    public static (TrainingData Data, string[] Classes) FromCategories(
        TrainingData data, string[] categories, IReadOnlyList<string>? declared, ModelTask task, string target)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(categories);
        if (task == ModelTask.Regression)
        {
            throw new TrainingDataException(
                $"target '{target}' is categorical (its values are names such as '{categories.FirstOrDefault()}'); a regression needs a number: " +
                "use task binary or multiclass, or compare the column in the target (lead(column == \"a\", 1))");
        }
        string[] classes;
        if (declared is { Count: > 0 })
        {
            classes = [.. declared];
        }
        else
        {
            var seen = new bool[categories.Length];
            foreach (var code in data.Labels)
            {
                if (code >= 0 && code < categories.Length)
                {
                    seen[(int)code] = true;
                }
            }
            classes = [.. categories.Where((_, c) => seen[c]).Order(StringComparer.Ordinal)];
        }
        if (classes.Length > ModelTrainer.MaximumClasses)
        {
            throw new TrainingDataException($"target '{target}' has {classes.Length} classes; at most {ModelTrainer.MaximumClasses}");
        }
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var c = 0; c < classes.Length; c++)
        {
            index[classes[c]] = c;
        }
        var labels = new double[data.Rows];
        for (var r = 0; r < labels.Length; r++)
        {
            var code = data.Labels[r];
            if (double.IsNaN(code))
            {
                labels[r] = double.NaN;
                continue;
            }
            var name = code >= 0 && code < categories.Length ? categories[(int)code] : null;
            if (name is null || !index.TryGetValue(name, out var c))
            {
                var entity = data.Entities is null ? "" : $", entity '{data.Entities[r]}'";
                throw new TrainingDataException(
                    $"target '{target}' is '{name}' at {data.Times[r].ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}{entity}, " +
                    $"which is not one of the definition's classes [{string.Join(", ", classes)}]: add it to model.classes");
            }
            labels[r] = c;
        }
        return (data with { Labels = labels }, classes);
    }
}
