#!/usr/bin/env python3
"""Where CacheGuard's analyzer time goes, from a dotnet-trace speedscope file (bench/profile/run.sh makes one).
Time counts only while a CacheGuard frame is on the stack (an analyzer callback of ours). It is split by
  - the deepest CacheGuard frame (our method doing the work, self + callees),
  - the first frame below it (the Roslyn / BCL API we called), and
  - the leaf (UNMANAGED_CODE_TIME: native code; whether a sample inside the JIT lands there was not checked, so this
    is no JIT measurement: bench/cgstats's JitInfo figures are).
  attribute.py FILE.speedscope.json [TOP]"""
import json, sys, collections
d = json.load(open(sys.argv[1])); top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
frames = [f['name'] for f in d['shared']['frames']]
ours = [n.startswith('CacheGuard.') for n in frames]
total = 0.0; by_ours = collections.Counter(); by_callee = collections.Counter(); by_leaf = collections.Counter()
unmanaged_under = collections.Counter(); incl = collections.Counter()
for p in d['profiles']:
    stack = []; last = None
    for e in p['events']:
        t = e['at']
        if last is not None and stack and any(ours[f] for f in stack):
            dt = t - last; total += dt
            deepest = max(i for i, f in enumerate(stack) if ours[f])
            by_ours[frames[stack[deepest]]] += dt
            callee = frames[stack[deepest + 1]] if deepest + 1 < len(stack) else '(self)'
            by_callee[callee] += dt
            leaf = frames[stack[-1]]; by_leaf[leaf] += dt
            if leaf == 'UNMANAGED_CODE_TIME' and len(stack) > 1: unmanaged_under[frames[stack[-2]]] += dt
            for f in set(stack):
                if ours[f]: incl[frames[f]] += dt
        last = t
        if e['type'] == 'O': stack.append(e['frame'])
        else:
            # close the matching frame (events nest)
            if stack and stack[-1] == e['frame']: stack.pop()
            elif e['frame'] in stack: del stack[len(stack) - 1 - stack[::-1].index(e['frame'])]
print(f'time with a CacheGuard frame on the stack: {total:.0f} ms')
for title, c in (('inclusive, CacheGuard methods', incl), ('deepest CacheGuard frame', by_ours), ('API called from it', by_callee), ('leaf', by_leaf), ('UNMANAGED_CODE_TIME under', unmanaged_under)):
    print(f'\n## {title}')
    for k, v in c.most_common(top): print(f'{v:8.1f}  {k[:160]}')
