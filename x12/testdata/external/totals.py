#!/usr/bin/env python3
"""Independent totals of X12 835/837 files for remitq's differential test.

Tokenizes each file with the reference checker's own functions
(../refcheck/x12check.py, a copy of the shared tools' one: detect, segments, D; Decimal arithmetic)
and prints one JSON object per file:
  835: transaction sets, CLP and SVC segments, sums of CLP03, CLP04, PLB
       amounts and BPR02, and the number of amounts it could not read;
  837: CLM and SV1 segments, sums of CLM02 and SV102.
Usage: totals.py CHECKER_DIR FILE...
"""
import json, sys

sys.path.insert(0, sys.argv[1])
from x12check import detect, segments, D  # noqa: E402
from decimal import Decimal  # noqa: E402


def totals(path):
    s, d = detect(open(path, 'rb').read())
    segs = segments(s, d)
    out = {'file': path, 'sets': 0, 'claims': 0, 'lines': 0, 'bad': 0,
           'charge': Decimal(0), 'paid': Decimal(0), 'plb': Decimal(0), 'bpr': Decimal(0)}

    def add(key, v):
        x = D(v)
        if x is None:
            out['bad'] += 1
        else:
            out[key] += x

    kind = None
    for x in segs:
        t = x[0]
        g = lambda i: x[i] if len(x) > i else ''
        if t == 'ST':
            kind = g(1).strip()
            if kind in ('835', '837'):
                out['sets'] += 1
        elif kind == '835':
            if t == 'CLP':
                out['claims'] += 1
                add('charge', g(3))
                add('paid', g(4))
            elif t == 'SVC':
                out['lines'] += 1
            elif t == 'PLB':
                for k in range(4, 15, 2):
                    add('plb', g(k))
            elif t == 'BPR':
                add('bpr', g(2))
        elif kind == '837':
            if t == 'CLM':
                out['claims'] += 1
                add('charge', g(2))
            elif t == 'SV1':
                out['lines'] += 1
                add('paid', g(2))  # for an 837: the sum of SV102
    for k in ('charge', 'paid', 'plb', 'bpr'):
        out[k] = str(out[k].quantize(Decimal('0.01')))
    return out


for p in sys.argv[2:]:
    print(json.dumps(totals(p)))
