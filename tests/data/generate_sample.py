#!/usr/bin/env python3
"""Writes sample_decisions.jsonl: 30 days of synthetic CV-screener decisions
with a bias injected against women at the screening stage in the last 10
days, plus a few malformed lines. Deterministic (seeded).

    python3 tests/data/generate_sample.py > tests/data/sample_decisions.jsonl
"""
import json
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20261120)
END = datetime(2026, 11, 20, 18, 0, 0, tzinfo=timezone.utc)
DAYS = 30
PER_DAY = 260
BIAS_FROM = END - timedelta(days=10)

SEX = [("female", 0.47), ("male", 0.49), ("non-binary", 0.02), (None, 0.02)]
ETHNICITY = [("asian", 0.12), ("black", 0.11), ("mixed", 0.05), ("white", 0.62), ("other", 0.06),
             ("prefer-not-to-say", 0.04)]
AGE = [("<25", 0.18), ("25-39", 0.46), ("40-54", 0.27), ("55+", 0.09)]
DISABILITY = [("no", 0.9), ("yes", 0.1)]
STAGES = [("screening", 0.3), ("interview", 0.45)]


def pick(options):
    x = rng.random()
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def main():
    lines = []
    event = 0
    for day in range(DAYS):
        for _ in range(PER_DAY):
            when = END - timedelta(days=DAYS - day) + timedelta(seconds=rng.randrange(86400))
            attributes = {"sex": pick(SEX), "ethnicity": pick(ETHNICITY), "age_band": pick(AGE),
                          "disability": pick(DISABILITY)}
            attributes = {k: v for k, v in attributes.items() if v is not None}
            requisition = "req-%d" % (1001 + rng.randrange(24))
            for stage, base_rate in STAGES:
                if stage != "screening":
                    when += timedelta(hours=rng.randrange(24, 96))
                    if when > END:
                        break
                rate = base_rate
                score = min(1.0, max(0.0, rng.gauss(0.55, 0.15)))
                if stage == "screening" and when >= BIAS_FROM and attributes.get("sex") == "female":
                    rate *= 0.6
                    score = max(0.0, score - 0.08)
                selected = rng.random() < rate
                event += 1
                record = {"event_id": "ev-%07d" % event,
                          "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "system": "cv-screener-v3", "stage": stage, "requisition": requisition,
                          "decision": "selected" if selected else "rejected",
                          "score": round(score, 3), "attributes": attributes}
                lines.append((when, json.dumps(record, separators=(",", ":"))))
                if not selected:
                    break
    lines.sort(key=lambda pair: pair[0])
    out = [text for _, text in lines]
    # A few resent events and malformed lines, as real feeds have.
    for _ in range(12):
        original = rng.randrange(len(out) - 100)
        out.insert(original + rng.randrange(1, 100), out[original])
    bad = ['{"event_id": "broken-1", "timestamp": "2026-11-19T10:00:00Z"',
           '{"event_id":"bad-2","timestamp":"yesterday","system":"cv-screener-v3","stage":"screening","decision":"selected","attributes":{}}',
           '{"event_id":"bad-3","timestamp":"2026-11-19T10:00:00Z","system":"cv-screener-v3","stage":"screening","decision":"maybe","attributes":{}}',
           '{"event_id":"bad-4","timestamp":"2026-11-19T10:00:00Z","system":"cv-screener-v3","stage":"screening","decision":"rejected","score":7,"attributes":{}}',
           '{"event_id":"bad-5","timestamp":"2026-11-19T10:00:00Z","stage":"screening","decision":"rejected","attributes":{}}']
    for line in bad:
        out.insert(rng.randrange(len(out)), line)
    print("\n".join(out))


main()
