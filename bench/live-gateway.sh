#!/usr/bin/env bash
# Live-mode gateway benchmark: added latency vs the fake provider, and 10,000 in-flight tasks
# followed under -Xmx256m. Usage: bench/live-gateway.sh [iterations] [inflight] [followSeconds]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -Dstyle.color=never -DskipTests test-compile
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -q -Dstyle.color=never dependency:build-classpath -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test
java -Xmx256m -cp "target/test-classes:target/classes:$(cat "$cpfile")" io.comfyvn.compute.bench.LiveGatewayBench "$@"
