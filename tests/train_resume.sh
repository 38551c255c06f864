#!/usr/bin/env bash
# CTest example.train_resume: train_fashion_mnist killed with SIGKILL at a random moment of its
# training and resumed from its last checkpoint ends with the weights of a run that was never
# killed, bit for bit (batch norm, dropout and flips on, so their state and draws resume too).
#   train_resume.sh TRAIN_FASHION_MNIST WORK_DIR       (KILN_SEED=<n> replays a run's kill time)
set -euo pipefail
train=$1 work=$2
seed=${KILN_SEED:-$(( (RANDOM << 15) | RANDOM ))}
echo "train_resume: seed $seed (replay with KILN_SEED=$seed)"
rm -rf "$work" && mkdir -p "$work"
flags=(--net two-conv-bn --epochs 2 --limit 4096 --batch 64 --flip --seed 11)  # 128 steps
"$train" "${flags[@]}" --out "$work/straight.safetensors" > "$work/straight.log" 2>&1 ||
  { cat "$work/straight.log"; exit 1; }

"$train" "${flags[@]}" --checkpoint "$work/checkpoint.safetensors" --checkpoint-every 1 --out "$work/killed.safetensors" \
  > "$work/killed.log" 2>&1 &
pid=$!
# Once training has begun (the first checkpoint is there), a random moment within about its length.
# Waited for as long as the run lives, not a fixed time: under the sanitizers its compile alone
# takes over a minute (CTest's timeout bounds the whole test).
while [ ! -e "$work/checkpoint.safetensors" ] && kill -0 $pid 2>/dev/null; do sleep 0.1; done
[ -e "$work/checkpoint.safetensors" ] || { echo "train_resume: the run ended without writing a checkpoint"; cat "$work/killed.log"; exit 1; }
delay_ms=$(( seed % 1500 ))
sleep "$(printf '0.%03d' $((delay_ms % 1000)))"; [ $delay_ms -ge 1000 ] && sleep 1
kill -9 $pid 2>/dev/null && echo "train_resume: killed after ${delay_ms} ms of training" || echo "train_resume: the run had ended before the kill"
wait $pid 2>/dev/null || true

"$train" "${flags[@]}" --checkpoint "$work/checkpoint.safetensors" --checkpoint-every 1 --resume "$work/checkpoint.safetensors" \
  --out "$work/resumed.safetensors" > "$work/resumed.log" 2>&1 || { cat "$work/resumed.log"; exit 1; }
grep -m1 '^resumed from' "$work/resumed.log" || { echo "train_resume: the run did not say where it resumed"; exit 1; }
if ! cmp -s "$work/straight.safetensors" "$work/resumed.safetensors"; then
  echo "train_resume: the resumed run's weights differ from the uninterrupted run's"; exit 1
fi
[ -z "$(find "$work" -name '*.partial')" ] || { echo "train_resume: temporaries left behind"; ls -la "$work"; exit 1; }
echo "train_resume: the resumed run's weights equal the uninterrupted run's, bit for bit"
