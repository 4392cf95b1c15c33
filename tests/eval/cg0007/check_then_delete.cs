using StackExchange.Redis;
namespace Eval.Cg0007.CheckThenDelete;

// GET then DEL is two round trips: the lease can lapse between them.
public class Exporter
{
    private readonly IDatabase _db;
    public Exporter(IDatabase db) => _db = db;

    public async Task ExportAsync(Func<Task> export)
    {
        var token = Guid.NewGuid().ToString();
        if (!await _db.StringSetAsync("lock:export", token, TimeSpan.FromSeconds(60), When.NotExists)) return;
        try { await export(); }
        finally
        {
            if (await _db.StringGetAsync("lock:export") == token)
                await _db.KeyDeleteAsync("lock:export"); // expect: CG0007
        }
    }
}
