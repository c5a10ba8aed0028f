#!/usr/bin/env bash
# Runs `peergatectl classify --json` over ../shared/corpus and checks the
# expectations in test/corpus/.  Skips (77) when the corpus is absent.
build=$1
src=$2
corpus=${PEERGATE_CORPUS:-$src/../shared/corpus}
if [ ! -f "$corpus/MANIFEST.tsv" ]; then
	echo "SKIP: no corpus at $corpus (../shared is absent in this checkout)"
	exit 77
fi
exec python3 "$src/test/corpus_check.py" "$build/peergatectl" "$corpus" "$src/test/corpus"
