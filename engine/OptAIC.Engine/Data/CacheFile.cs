using System.Text.Json;

namespace OptAIC.Engine.Data;

/// <summary>A cache kept as one JSON file under .optaic/cache: a damaged file is rebuilt, one that cannot be written only costs time.</summary>
internal static class CacheFile
{
    public static Dictionary<string, T> Load<T>(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Dictionary<string, T>>(File.ReadAllText(path)) ?? [] : [];
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static void Save<T>(string path, Dictionary<string, T> entries)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(entries));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
