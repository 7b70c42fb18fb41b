#!/bin/bash
# Alternates two nst test binaries (or one binary with and without an environment setting) for
# ROUNDS rounds of one benchmark regex, and prints each benchmark's median and every round (sorted), in ms:
#   notes/issue-23/ab.sh ROUNDS REGEX BENCHTIME BINARY_A BINARY_B [VAR=value for B]
# usage: ab.sh rounds benchregex benchtime binA binB [envB]
rounds=$1; re=$2; bt=$3; a=$4; b=$5; envb=${6:-}
cd "$(dirname "$0")/../../nst"
for r in $(seq $rounds); do
  for v in A B; do
    bin=$a; e=""; [ $v = B ] && { bin=$b; e=$envb; }
    env $e $bin -test.run '^$' -test.bench "$re" -test.benchtime $bt 2>&1 | awk -v v=$v '/^Bench/{print v, $1, $3/1e6}'
  done
done | sort -k2,2 -k1,1 | python3 -c "
import sys,statistics,collections
d=collections.defaultdict(list)
for l in sys.stdin:
  v,n,t=l.split(); d[(n,v)].append(float(t))
for k in sorted(d): print(k[0],k[1],\"median %.1f ms\" % statistics.median(d[k]), \" \".join(\"%.1f\" % x for x in sorted(d[k])))
"
