using System.Text.RegularExpressions;
using LibGit2Sharp;
using LibGit2Sharp.Handlers;

namespace OptAIC.Engine.Ci;

/// <summary>
/// Git credentials for the bot, read from environment variables only: OPTAIC_GIT_USERNAME and
/// OPTAIC_GIT_TOKEN, or else GITHUB_TOKEN as user "x-access-token" (what GitHub Actions provides).
/// The token is handed to libgit2 through a credentials callback and nowhere else; every message the
/// CI code produces passes through <see cref="Redact"/>, and <see cref="ToString"/> never shows it.
/// </summary>
public sealed partial class CredentialsFromEnvironment
{
    public const string UsernameVariable = "OPTAIC_GIT_USERNAME";
    public const string TokenVariable = "OPTAIC_GIT_TOKEN";
    public const string GitHubTokenVariable = "GITHUB_TOKEN";
    public const string GitHubTokenUser = "x-access-token";

    private readonly string? _token;

    private CredentialsFromEnvironment(string? username, string? token, string source)
    {
        Username = username;
        _token = token;
        Source = source;
    }

    /// <summary>No credentials: for local file remotes and for public reads.</summary>
    public static CredentialsFromEnvironment None { get; } = new(null, null, "none");

    /// <summary>The user name sent with the token (not a secret), or null without a token.</summary>
    public string? Username { get; }

    /// <summary>Which variable the token came from, for messages ("OPTAIC_GIT_TOKEN", "GITHUB_TOKEN", "none").</summary>
    public string Source { get; }

    public bool HasToken => _token is not null;

    /// <summary>Reads the variables; <paramref name="variable"/> replaces the process environment in tests.</summary>
    public static CredentialsFromEnvironment Read(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        if (NonEmpty(variable(TokenVariable)) is { } token)
        {
            return new CredentialsFromEnvironment(NonEmpty(variable(UsernameVariable)) ?? GitHubTokenUser, token, TokenVariable);
        }
        if (NonEmpty(variable(GitHubTokenVariable)) is { } gitHubToken)
        {
            return new CredentialsFromEnvironment(GitHubTokenUser, gitHubToken, GitHubTokenVariable);
        }
        return None;
    }

    /// <summary>The callback libgit2 asks when a remote wants authentication; null without a token.</summary>
    internal CredentialsHandler? Handler => _token is null
        ? null
        : (_, _, types) => types.HasFlag(SupportedCredentialTypes.UsernamePassword)
            ? new UsernamePasswordCredentials { Username = Username, Password = _token }
            : new DefaultCredentials();

    /// <summary>
    /// <paramref name="text"/> with the token and any user:password part of a URL replaced by "***",
    /// so that an error from libgit2 or a remote can be shown and logged safely.
    /// </summary>
    public string Redact(string text)
    {
        var redacted = UrlUserInfo().Replace(text, "://***@");
        return _token is null ? redacted : redacted.Replace(_token, "***", StringComparison.Ordinal);
    }

    public override string ToString() => HasToken ? $"token for '{Username}' from {Source}" : "no credentials";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex(@"://[^/@\s]+@")]
    private static partial Regex UrlUserInfo();
}
