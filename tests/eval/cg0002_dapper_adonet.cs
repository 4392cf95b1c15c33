using System.Data.Common;
using Dapper;
using StackExchange.Redis;
namespace WritePath.Cg0002Sql;

public class PriceWriter
{
    private readonly DbConnection _conn;
    private readonly IDatabase _db;
    public PriceWriter(DbConnection conn, IDatabase db) { _conn = conn; _db = db; }

    public async Task SetTotalAsync(int id, decimal total)
    {
        var key = $"order:{id}:total";
        await _db.StringSetAsync(key, total.ToString()).ConfigureAwait(false); // expect: CG0002 // allow: CG0008
        await _conn.ExecuteAsync("update orders set total = @total where id = @id", new { id, total }).ConfigureAwait(false);
    }

    public void SetStatus(DbCommand command, int id, string status)
    {
        command.CommandText = "update orders set status = @status where id = @id";
        command.ExecuteNonQuery();
        _db.StringSet($"order:{id}:status", status, TimeSpan.FromSeconds(600 + Random.Shared.Next(60)), When.Always); // expect: CG0002
    }
}
