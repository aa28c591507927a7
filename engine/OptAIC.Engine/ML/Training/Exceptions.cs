namespace OptAIC.Engine.ML.Training;

/// <summary>
/// A model's configuration cannot be used: unknown algorithm, unknown or invalid hyperparameter,
/// unknown metric or gate operator. The message names the offending setting and the accepted ones.
/// </summary>
public sealed class ModelConfigurationException : Exception
{
    public ModelConfigurationException()
    {
    }

    public ModelConfigurationException(string message)
        : base(message)
    {
    }

    public ModelConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The data given for training or scoring cannot be used (shapes disagree, labels outside the task's
/// range, no labelled rows). The message names the row and what to fix.
/// </summary>
public sealed class TrainingDataException : Exception
{
    public TrainingDataException()
    {
    }

    public TrainingDataException(string message)
        : base(message)
    {
    }

    public TrainingDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A model or combiner artifact cannot be read: wrong format, truncated or corrupt.</summary>
public sealed class ModelArtifactException : Exception
{
    public ModelArtifactException()
    {
    }

    public ModelArtifactException(string message)
        : base(message)
    {
    }

    public ModelArtifactException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
