using StackExchange.Redis;
namespace Eval.Cg0007.LockTake;

public class Compactor
{
    private readonly IDatabase _db;
    private readonly string _owner = Guid.NewGuid().ToString();
    public Compactor(IDatabase db) => _db = db;

    public void Compact(Action work)
    {
        if (!_db.LockTake("lock:compact", _owner, TimeSpan.FromSeconds(20))) return;
        try { work(); }
        finally { _db.KeyDelete("lock:compact"); } // expect: CG0007
    }
}
