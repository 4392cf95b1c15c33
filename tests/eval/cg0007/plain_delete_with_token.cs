using StackExchange.Redis;
namespace Eval.Cg0007.Token;

public class Rebuilder
{
    private readonly IDatabase _db;
    public Rebuilder(IDatabase db) => _db = db;

    public void Rebuild(string id, Action work)
    {
        var lockKey = $"lock:rebuild:{id}";
        var token = Guid.NewGuid().ToString("N");
        if (_db.StringSet(lockKey, token, TimeSpan.FromSeconds(30), When.NotExists))
        {
            try { work(); }
            finally { _db.KeyDelete(lockKey); } // expect: CG0007
        }
    }
}
