using Microsoft.Data.Sqlite;

namespace CacheGuard.Behavior.Tests.WritePath;

/// <summary>A post as the samples cache it: the row's version says how new it is.</summary>
public sealed record PostRow(int Id, long Version, string Title);

/// <summary>
/// The database: one SQLite file in WAL mode. Every update bumps the row's version in the same
/// statement, so a version is the order in which commits happened.
/// </summary>
public sealed class PostTable : IDisposable
{
    private readonly string _directory;

    private PostTable(string directory, string connectionString)
    {
        _directory = directory;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<PostTable> CreateAsync(int id, string title)
    {
        var directory = Path.Combine(Path.GetTempPath(), "cacheguard-sqlite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var table = new PostTable(directory, new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "blog.db"),
            Pooling = true,
            DefaultTimeout = 30, // SQLITE_BUSY is retried for up to this long
        }.ToString());
        await using var connection = await table.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE posts (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, title TEXT NOT NULL);
            INSERT INTO posts (id, version, title) VALUES ($id, 1, $title);
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$title", title);
        await command.ExecuteNonQueryAsync();
        return table;
    }

    /// <summary>Commits a new title; returns the version the commit gave the row.</summary>
    public async Task<long> UpdateTitleAsync(int id, string title)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE posts SET version = version + 1, title = $title WHERE id = $id RETURNING version";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$title", title);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<PostRow?> LoadAsync(int id)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, title FROM posts WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new PostRow(id, reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
