# Writes a CSV of N rows x 10 random logits with labels, for measuring `classloss eval` throughput:
#   /usr/bin/python3 scripts/make_eval_file.py 1000000 /tmp/big.csv
import numpy as np, sys
n = int(sys.argv[1]); k = 10
rng = np.random.default_rng(0)
z = rng.normal(size=(n, k)).astype(np.float32)
y = rng.integers(0, k, size=n)
with open(sys.argv[2], "w") as f:
    f.write("label," + ",".join(str(c) for c in range(k)) + "\n")
    np.savetxt(f, np.column_stack([y, z]), fmt=["%d"] + ["%.7g"] * k, delimiter=",")
