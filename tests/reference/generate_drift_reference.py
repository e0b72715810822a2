#!/usr/bin/env python3
"""Cross-checks drift_histograms.csv (written by generate_drift_reference.R)
against SciPy: the Jensen-Shannon divergence as the square of
scipy.spatial.distance.jensenshannon(base=2), and the PSI's terms through
scipy.special.rel_entr, so the R definitions are not the only source.

    /usr/bin/python3 tests/reference/generate_drift_reference.py

Exits non-zero on a disagreement beyond 1e-12 (absolute) and writes nothing.
"""
import csv
import pathlib
import sys

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

EMPTY = 1e-4


def psi(baseline, current):
    b = np.where(baseline == 0, EMPTY, baseline / baseline.sum())
    c = np.where(current == 0, EMPTY, current / current.sum())
    # (c - b) ln(c/b) = rel_entr(c, b) + rel_entr(b, c)
    return float(np.sum(rel_entr(c, b) + rel_entr(b, c)))


def main():
    path = pathlib.Path(__file__).with_name("drift_histograms.csv")
    failures = 0
    with path.open() as handle:
        for row in csv.DictReader(handle):
            b = np.array([float(v) for v in row["baseline"].split()])
            c = np.array([float(v) for v in row["current"].split()])
            js = float(jensenshannon(b, c, base=2)) ** 2
            checks = (("js_divergence", js), ("psi", psi(b, c)))
            for column, scipy_value in checks:
                if abs(float(row[column]) - scipy_value) > 1e-12:
                    print(f"{column} {row['baseline']} | {row['current']}: R {row[column]} SciPy {scipy_value}")
                    failures += 1
    print(f"{path.name}: {'FAILED' if failures else 'agrees with SciPy'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
