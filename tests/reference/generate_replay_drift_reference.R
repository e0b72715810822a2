#!/usr/bin/env Rscript
# Reference values for drift against a baseline, end to end
# (`fairwatch baseline capture`, then `fairwatch replay --baseline`):
#
#   Rscript tests/reference/generate_replay_drift_reference.R   (R 4.2.2, from the
#   repository root)
#
# Writes, under tests/data/ (events) and tests/reference/ (values):
#   drift_baseline.jsonl   the baseline period: 2026-10-01 .. 2026-10-14
#   drift_current.jsonl    the current period: 2026-11-02 .. 2026-11-05, with
#                          shifted score distributions for every group of
#                          `sex` and a shifted applicant mix, plus an
#                          `interview` stage the baseline never saw
#   replay_drift.csv       per group (subject score) and for the mix: PSI, JS,
#                          KS statistic and p-value, baseline_n, current_n
# tests/unit/replay_drift_test.cpp reads them with tests/data/drift.yaml
# (default score edges (0:10)/10, sample_size 2000: the samples hold every
# score). Scores have two decimals, so there are ties, some on bin edges.
# female: 70 × 100 = 7,000 < 10,000 (exact KS); male: 400 × 250 (asymptotic);
# non-binary: 30 × 20 (exact). A few decisions of an unconfigured sex value
# count as `unknown`, which is in neither the score rows nor the mix.
# PSI: empty bins count as proportion 1e-4; JS: base 2; KS: R's ks.test.
# Numbers: %.17g; NA for "no value".

out_dir <- "tests/data"
source("tests/reference/drift_definitions.R")  # psi(), js()
stopifnot(getRversion() >= "4.2.0")
set.seed(20261205)

score_text <- function(x) sprintf("%.2f", pmin(pmax(x, 0), 1))

make_events <- function(prefix, start, hours, groups, stage = "screening") {
  sexes <- rep(names(groups), vapply(groups, function(g) g$n, 0))
  scores <- unlist(lapply(groups, function(g) score_text(rbeta(g$n, g$a, g$b))))
  n <- length(sexes)
  order <- sample(n)
  sexes <- sexes[order]
  scores <- scores[order]
  seconds <- sort(sample(0:(hours * 3600 - 1), n))
  times <- format(as.POSIXct(start, tz = "UTC") + seconds, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")
  lines <- sprintf(paste0('{"event_id":"%s-%04d","timestamp":"%s","system":"cv-screener",',
                          '"stage":"%s","decision":"%s","score":%s,"attributes":{"sex":"%s"}}'),
                   prefix, seq_len(n), times, stage,
                   ifelse(as.numeric(scores) > 0.5, "selected", "rejected"), scores, sexes)
  list(lines = lines, sex = sexes, score = as.numeric(scores))
}

baseline <- make_events("base", "2026-10-01 00:00:00", 14 * 24, list(
  female = list(n = 70, a = 5, b = 5),
  male = list(n = 400, a = 5, b = 4),
  "non-binary" = list(n = 30, a = 4, b = 5),
  undisclosed = list(n = 6, a = 5, b = 5)))
current <- make_events("cur", "2026-11-02 00:00:00", 3 * 24, list(
  female = list(n = 100, a = 4, b = 6),
  male = list(n = 250, a = 5.5, b = 4),
  "non-binary" = list(n = 20, a = 6, b = 4),
  undisclosed = list(n = 4, a = 5, b = 5)))
interview <- make_events("int", "2026-11-03 00:00:00", 24, list(
  female = list(n = 5, a = 5, b = 5), male = list(n = 7, a = 5, b = 5)), stage = "interview")
current_lines <- c(current$lines, interview$lines)
current_times <- sub('.*"timestamp":"([^"]*)".*', "\\1", current_lines)
writeLines(baseline$lines, file.path(out_dir, "drift_baseline.jsonl"))
writeLines(current_lines[order(current_times)], file.path(out_dir, "drift_current.jsonl"))

edges <- (0:10) / 10
bins <- function(x) tabulate(cut(x, breaks = edges, right = TRUE, include.lowest = TRUE),
                             nbins = length(edges) - 1)
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

groups <- c("female", "male", "non-binary")
rows <- character(0)
for (g in groups) {
  x <- baseline$score[baseline$sex == g]
  y <- current$score[current$sex == g]
  t <- suppressWarnings(ks.test(x, y))
  rows <- c(rows, paste("score", g, num(psi(bins(x), bins(y))), num(js(bins(x), bins(y))),
                        num(unname(t$statistic)), num(t$p.value), length(x), length(y),
                        ifelse(t$exact, 1, 0), sep = ","))
}
b_mix <- vapply(groups, function(g) sum(baseline$sex == g), 0)
c_mix <- vapply(groups, function(g) sum(current$sex == g), 0)
rows <- c(rows, paste("mix", "NA", num(psi(b_mix, c_mix)), num(js(b_mix, c_mix)), "NA", "NA",
                      sum(b_mix), sum(c_mix), "NA", sep = ","))
writeLines(c("subject,group,psi,js_divergence,ks_statistic,ks_p_value,baseline_n,current_n,exact",
             rows), file.path("tests/reference", "replay_drift.csv"))
cat(rows, sep = "\n")
