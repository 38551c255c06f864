#!/usr/bin/env bash
# CTest consumer.bad_calls: each wrong call of kiln_add_net, kiln_add_inspector or kiln_add_tuner
# (and a find_package for a version kiln is not) fails at configure time with a message that says
# what is wrong. Needs the prefix consumer.find_package installs.
#   run_bad_calls.sh PREFIX WORK_DIR
set -uo pipefail
prefix=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
failed=0
check() {
  local case=$1 expected=$2
  rm -rf "$work/$case"
  if cmake -S "$here/bad_calls" -B "$work/$case" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DKILN_BAD_CALL="$case" \
       > "$work/$case.log" 2>&1; then
    echo "bad call $case: configured without an error"; failed=1; return
  fi
  if ! tr -s ' \n' ' ' < "$work/$case.log" | grep -qF "$expected"; then
    echo "bad call $case: the error does not say '$expected':"; cat "$work/$case.log"; failed=1; return
  fi
  echo "bad call $case: refused ($expected)"
}
mkdir -p "$work"
check no_net "kiln_add_net(k): HEADER and NET are required"
check unknown_argument "kiln_add_net(k): unknown arguments SCHEDUEL;fused"
check target_and_targets "kiln_add_net(k): give TARGET or TARGETS, not both"
check missing_tuning "TUNING file /nonexistent/edge.tuning.json does not exist"
check inspector_no_header "kiln_add_inspector(i): HEADER and NET are required"
check tuner_unknown_argument "kiln_add_tuner(t): unknown arguments BATCH;4"
check version 'compatible with requested version "0.3"'
check in_function_without_c "find_package(kiln) needs the C language enabled"
exit $failed
