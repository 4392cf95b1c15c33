using StackExchange.Redis;
namespace Eval.Cg0007.MachineName;

public class ReportJob
{
    private readonly IDatabase _db;
    public ReportJob(IDatabase db) => _db = db;

    public async Task RunAsync(Func<Task> build)
    {
        if (!await _db.StringSetAsync("lock:report", Environment.MachineName, TimeSpan.FromMinutes(5), When.NotExists))
            return;
        try
        {
            await build();
        }
        finally
        {
            await _db.KeyDeleteAsync("lock:report"); // expect: CG0007
        }
    }
}
