#!/usr/bin/env python3
"""Time under one method (a substring of its frame name) in a speedscope file, split by the first frame below it and
by the deepest CacheGuard frame: what a hot part of bench/profile/attribute.py's report calls.
  under.py FILE.speedscope.json 'WrapperCatalog.Build(' [TOP]"""
import json, sys, collections
d = json.load(open(sys.argv[1])); needle = sys.argv[2]; top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
frames = [f['name'] for f in d['shared']['frames']]
hit = [needle in n for n in frames]; ours = [n.startswith('CacheGuard.') for n in frames]
below = collections.Counter(); deepest = collections.Counter(); api = collections.Counter(); total = 0.0
for p in d['profiles']:
    stack = []; last = None
    for e in p['events']:
        t = e['at']
        if last is not None and stack:
            at = next((i for i, f in enumerate(stack) if hit[f]), None)
            if at is not None:
                dt = t - last; total += dt
                below[frames[stack[at + 1]] if at + 1 < len(stack) else '(self)'] += dt
                k = max(i for i, f in enumerate(stack) if ours[f])
                deepest[frames[stack[k]]] += dt
                api[frames[stack[k + 1]] if k + 1 < len(stack) else '(self)'] += dt
        last = t
        if e['type'] == 'O': stack.append(e['frame'])
        elif stack and stack[-1] == e['frame']: stack.pop()
        elif e['frame'] in stack: del stack[len(stack) - 1 - stack[::-1].index(e['frame'])]
print(f'{total:.0f} ms under {needle}')
for title, c in (('first frame below', below), ('deepest CacheGuard frame', deepest), ('API it called', api)):
    print(f'\n## {title}')
    for k, v in c.most_common(top): print(f'{v:8.1f}  {k.split("!")[-1][:150]}')
