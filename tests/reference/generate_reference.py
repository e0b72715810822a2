#!/usr/bin/python3
"""Second opinion on the Katz interval, which R does not ship.

    /usr/bin/python3 tests/reference/generate_reference.py

Run after generate_reference.R: reads the cases of impact_ratio.csv and writes
impact_ratio_statsmodels.csv with statsmodels' Table2x2.riskratio_confint
(Katz log interval). statsmodels replaces zero cells by 0.5 (shift_zeros),
our rule adds 0.5 to all four cells when exactly one selected count is 0, so
only the tables without a zero cell are written.
"""

import csv
import pathlib

import numpy as np
from statsmodels.stats.contingency_tables import Table2x2

HERE = pathlib.Path(__file__).resolve().parent


def main() -> None:
    rows = []
    with open(HERE / "impact_ratio.csv", newline="") as source:
        for case in csv.DictReader(source):
            gs, gn, rs, rn = (int(case[k]) for k in (
                "group_selected", "group_applicants", "reference_selected",
                "reference_applicants"))
            if 0 in (gs, gn - gs, rs, rn - rs):
                continue
            table = Table2x2(np.array([[gs, gn - gs], [rs, rn - rs]], dtype=float))
            confidence = float(case["confidence"])
            lower, upper = table.riskratio_confint(alpha=1 - confidence, method="normal")
            rows.append([gs, gn, rs, rn, case["confidence"],
                         f"{lower:.17g}", f"{upper:.17g}"])
    with open(HERE / "impact_ratio_statsmodels.csv", "w", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(["group_selected", "group_applicants", "reference_selected",
                         "reference_applicants", "confidence", "lower", "upper"])
        writer.writerows(rows)
    print(f"impact_ratio_statsmodels.csv {len(rows):6d} cases")


if __name__ == "__main__":
    main()
