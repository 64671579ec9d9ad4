#!/usr/bin/env bash
# Carry a stopped learning check to the next session's machine (issue 13). runs/ is not in git and
# each session may start on a fresh machine, so a run that must go on past one session (the
# 3-hour track budget in a session of 3 hours, set-up and CI included) is packed into
# docs/results/carry/NAME.tar.gz: per cell its spec.json, metrics.jsonl and checkpoints/ (the
# full training state that exact resume reads), plus the folder's Π_h files (pi_h*.pt: one, or
# an ensemble's members) and logs. Unpacked, the run's own command (benchmarks/learning.sh's
# header) resumes it exactly.
#
#   benchmarks/carry.sh pack runs/track_ng      # after stopping the run (SIGINT, then wait)
#   benchmarks/carry.sh unpack track_ng         # on the next machine: restores runs/track_ng
#
# Stop the run first: a checkpoint written while tar reads it would be carried half-written.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=docs/results/carry
usage() { echo "usage: benchmarks/carry.sh pack runs/NAME | unpack NAME" >&2; exit 2; }
[ $# -eq 2 ] || usage
case "$1" in
  pack)
    out=${2%/}
    [ -d "$out" ] || { echo "no run folder $out" >&2; exit 2; }
    mapfile -t files < <(cd "$(dirname "$out")" && find "$(basename "$out")" \
      \( -name spec.json -o -name metrics.jsonl -o -name 'last.pth' -o -name 'last.json' \
         -o -name 'pi_h*.pt' -o -name '*.log' \) -type f | sort)
    [ ${#files[@]} -gt 0 ] || { echo "nothing to carry in $out" >&2; exit 2; }
    mkdir -p "$CARRY"
    tar -czf "$CARRY/$(basename "$out").tar.gz" -C "$(dirname "$out")" "${files[@]}"
    echo "$CARRY/$(basename "$out").tar.gz: ${#files[@]} files, $(du -h "$CARRY/$(basename "$out").tar.gz" | cut -f1)"
    ;;
  unpack)
    archive="$CARRY/$2.tar.gz"
    [ -f "$archive" ] || { echo "no $archive" >&2; exit 2; }
    [ ! -e "runs/$2" ] || { echo "runs/$2 exists: move it away first (nothing was overwritten)" >&2; exit 2; }
    mkdir -p runs
    tar -xzf "$archive" -C runs
    echo "restored runs/$2; resume it with its command in benchmarks/learning.sh's header"
    ;;
  *) usage ;;
esac
