#!/usr/bin/env python3
"""Re-runs CacheGuard's analyzers over the real-code corpus and compares with the reviewed labels.

  tests/realcode/check.py [--only NAME,...] [--out DIR] [--from DIR]

For each repository of corpus.tsv (checked out by checkout.sh into $CACHEGUARD_CORPUS, default
/work/corpus) it runs `cgeval.sh tree` on the pinned folder and reads every CacheGuard report.
labels.tsv holds one reviewed verdict per report (repository, commit, path, line, rule, verdict,
reason). Verdicts: TP (true, actionable), TP-noise (true by the contract, nobody would act on it),
FP (false by the contract), DEBATABLE; TP-dropped / TP-noise-dropped for a true report a deliberate
decision no longer raises (listed, not a failure).

Fails (exit 1) when a report labelled FP is raised, when a report labelled TP / TP-noise is no
longer raised (a lost true positive), or when a report has no label (nobody reviewed it).
Prints the per-rule precision table (true / reported) of this run.
--from DIR reads earlier outputs (DIR/NAME.txt) instead of running the analyzers.
"""
import argparse, collections, csv, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, '..', '..'))
corpus = os.environ.get('CACHEGUARD_CORPUS', '/work/corpus')
cgeval = os.environ.get('CGEVAL', os.path.join(root, '..', 'shared', 'tools', 'cgeval.sh'))
if not os.path.exists(cgeval):
    cgeval = '/work/shared/tools/cgeval.sh'
REPORT = re.compile(r'^(?P<path>[^:\n]+\.cs):(?P<line>\d+): (?P<rule>CG\d{4}) (?P<msg>.*)$')
CRASH = re.compile(r'^CRASH ')
TRUE = {'TP', 'TP-noise'}
# A true report a deliberate decision stopped raising (issue 18: TP-noise such as HybridCache's
# LocalCacheExpiration) is labelled TP-dropped / TP-noise-dropped with the decision in its reason:
# its absence is listed, not a failure; if it comes back it counts as TP / TP-noise.
DROPPED = '-dropped'

# A false positive we have reviewed and not fixed yet is labelled FP-open with what is missing in its reason:
# it counts as FP in the table and is listed, but is not a failure (a new or a fixed FP class is).
OPEN = 'FP-open'

def base_verdict(verdict):
    if verdict == OPEN:
        return 'FP'
    return verdict[:-len(DROPPED)] if verdict.endswith(DROPPED) else verdict

def read_tsv(name):
    with open(os.path.join(here, name), newline='') as f:
        return list(csv.DictReader(f, delimiter='\t'))

def run_tree(name, folder, outdir):
    work = os.environ.get('CGEVAL_WORK', '/tmp/cgeval-realcode')
    env = dict(os.environ, CGEVAL_WORK=work)
    extra = os.path.join(corpus, '_refs')
    refs = os.path.join(work, 'runtime') + (',' + extra if os.path.isdir(extra) else '')
    target = os.path.normpath(os.path.join(corpus, name, folder))
    if not os.path.isdir(target):
        sys.exit(f'{target} is missing: run tests/realcode/checkout.sh first')
    print(f'==> {name} ({folder})', file=sys.stderr, flush=True)
    text = subprocess.run([cgeval, 'tree', target, '--refs', refs], cwd=root, env=env,
                          capture_output=True, text=True).stdout
    if outdir:
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, name + '.txt'), 'w') as f:
            f.write(text)
    return text

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--only'); ap.add_argument('--out'); ap.add_argument('--from', dest='from_dir')
    a = ap.parse_args()
    only = set(a.only.split(',')) if a.only else None
    repos = [r for r in read_tsv('corpus.tsv') if not only or r['name'] in only]
    labels = {}
    for l in read_tsv('labels.tsv'):
        labels[(l['name'], l['path'], int(l['line']), l['rule'])] = l
    problems, seen, crashes, open_fps = [], set(), 0, []
    table = collections.defaultdict(lambda: collections.Counter())
    for r in repos:
        if a.from_dir:
            text = open(os.path.join(a.from_dir, r['name'] + '.txt')).read()
        else:
            text = run_tree(r['name'], r['folder'], a.out)
        if 'diagnostics ' not in text:
            problems.append(f"{r['name']}: the analyzer run did not finish:\n{text[-2000:]}")
            continue
        for line in text.splitlines():
            if CRASH.match(line):
                crashes += 1; problems.append(f"{r['name']}: {line}")
            m = REPORT.match(line)
            if not m:
                continue
            key = (r['name'], m['path'], int(m['line']), m['rule'])
            seen.add(key)
            label = labels.get(key)
            if label is None:
                problems.append(f"UNREVIEWED {r['name']} {m['path']}:{m['line']} {m['rule']} {m['msg']}")
                table[m['rule']]['unreviewed'] += 1
                continue
            table[m['rule']][base_verdict(label['verdict'])] += 1
            if label['verdict'] == OPEN:
                open_fps.append(f"open FP {r['name']} {m['path']}:{m['line']} {m['rule']} ({label['reason']})")
            if label['verdict'] == 'FP':
                problems.append(f"FALSE POSITIVE {r['name']} {m['path']}:{m['line']} {m['rule']} ({label['reason']})")
    names = {r['name'] for r in repos}
    dropped = []
    for key, l in labels.items():
        if key[0] in names and l['verdict'] in TRUE and key not in seen:
            problems.append(f"LOST {l['verdict']} {key[0]} {key[1]}:{key[2]} {key[3]} ({l['reason']})")
        if key[0] in names and l['verdict'].endswith(DROPPED) and key not in seen:
            dropped.append(f"dropped {l['verdict'][:-len(DROPPED)]} {key[0]} {key[1]}:{key[2]} {key[3]} ({l['reason']})")
    print('| Rule | Reports | TP | TP-noise | FP | Debatable | Unreviewed | Precision (true/reports) | Actionable (TP/reports) |')
    print('|---|---|---|---|---|---|---|---|---|')
    tot = collections.Counter()
    for rule in sorted(table):
        c = table[rule]; n = sum(c.values()); tot.update(c)
        t = c['TP'] + c['TP-noise']
        print(f"| {rule} | {n} | {c['TP']} | {c['TP-noise']} | {c['FP']} | {c['DEBATABLE']} | {c['unreviewed']} | "
              f"{t / n:.2f} | {c['TP'] / n:.2f} |")
    n = sum(tot.values())
    if n:
        print(f"| all | {n} | {tot['TP']} | {tot['TP-noise']} | {tot['FP']} | {tot['DEBATABLE']} | {tot['unreviewed']} | "
              f"{(tot['TP'] + tot['TP-noise']) / n:.2f} | {tot['TP'] / n:.2f} |")
    print(f'crashes: {crashes}')
    print(f'open false positives (labelled {OPEN}, reviewed, not fixed yet): {len(open_fps)}')
    for o in open_fps:
        print(o)
    print(f'deliberately dropped (labelled *{DROPPED}, not raised any more): {len(dropped)}')
    for d in dropped:
        print(d)
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)

if __name__ == '__main__':
    main()
