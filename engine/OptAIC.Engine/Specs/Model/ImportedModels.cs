namespace OptAIC.Engine.Specs.Model;

/// <summary>
/// Models trained elsewhere and imported as files (<c>algorithm: onnx</c>): they plan an import, not a
/// training, need no training window, and read no training rows.
/// </summary>
public static class ImportedModels
{
    public const string Onnx = "onnx";

    public static bool IsImported(ModelDefinitionSpec definition) => definition.Model.Algorithm == Onnx;
}
