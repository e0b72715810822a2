#!/usr/bin/env Rscript
# Reference values for the drift statistics of detectors/ (formulas:
# docs/statistics.md, "Drift against a baseline").
#
#   Rscript tests/reference/generate_drift_reference.R
#
# Writes drift_bins.csv, drift_histograms.csv and kolmogorov_smirnov.csv next
# to this script; tests/unit/drift_reference_test.cpp reads them, CI never
# runs R. Bins come from cut(right = TRUE, include.lowest = TRUE); the PSI and
# the Jensen–Shannon divergence follow their definitions here (R has neither;
# generate_drift_reference.py checks the JS column against SciPy); the
# Kolmogorov–Smirnov statistic and p-value are R's own ks.test (R >= 4.2:
# exact with ties when m·n < 10000).
# Numbers: %.17g; samples and counts are space-separated.

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script) == 1) dirname(normalizePath(script)) else "tests/reference"
stopifnot(getRversion() >= "4.2.0")

num <- function(x) sprintf("%.17g", x)
joined <- function(x) paste(num(x), collapse = " ")

write_csv <- function(rows, name, header) {
  lines <- c(paste(header, collapse = ","), vapply(rows, paste, "", collapse = ","))
  writeLines(lines, file.path(out_dir, name))
  cat(sprintf("%-28s %6d cases\n", name, length(rows)))
}

# ---------------------------------------------------------------- bins
# Edges as the C++ default: (0:10)/10; plus uneven configured edges.
set.seed(20261201)
bin_rows <- list()
add_bins <- function(edges, values) {
  bins <- as.integer(cut(values, breaks = edges, right = TRUE, include.lowest = TRUE)) - 1L
  for (i in seq_along(values)) {
    bin_rows[[length(bin_rows) + 1]] <<- c(joined(edges), num(values[i]), bins[i])
  }
}
default_edges <- (0:10) / 10
add_bins(default_edges, c(default_edges, runif(40), 0.05, 0.95, 1e-300, 1 - 1e-16))
add_bins(c(0, 0.25, 0.5, 0.8, 0.9, 1), c(0, 0.25, 0.5, 0.8, 0.9, 1, runif(20)))
add_bins(c(-5, -1, 0, 2.5, 10), c(-5, -1, 0, 2.5, 10, -3, 1, 7, -0.5))
write_csv(bin_rows, "drift_bins.csv", c("edges", "value", "bin"))

# ---------------------------------------------------------------- PSI and JS
source(file.path(out_dir, "drift_definitions.R"))
set.seed(20261202)
hist_rows <- list()
add_hist <- function(b, c) {
  hist_rows[[length(hist_rows) + 1]] <<- c(paste(b, collapse = " "), paste(c, collapse = " "),
                                           num(psi(b, c)), num(js(b, c)))
}
add_hist(rep(100, 10), rep(100, 10))                     # identical: 0
add_hist(rep(7, 10), rep(70, 10))                        # same shape, other totals: 0
add_hist(c(10, 0, 5, 5), c(0, 10, 5, 5))                 # empty bins on both sides
add_hist(c(1, 0), c(0, 1))                               # disjoint: JS = 1
add_hist(c(50, 30, 20), c(20, 30, 50))                   # applicant mix, 3 groups
add_hist(c(900, 50, 30, 20), c(700, 150, 100, 50))
add_hist(c(5, 0, 0, 0, 0, 0, 0, 0, 0, 1), c(0, 0, 0, 0, 3, 0, 0, 0, 0, 0))
for (k in 1:25) {
  bins <- sample(c(2, 3, 5, 10, 20), 1)
  b <- as.vector(rmultinom(1, sample(c(10, 100, 1000, 1e5), 1), rgamma(bins, 2)))
  shift <- rgamma(bins, 2)
  c <- as.vector(rmultinom(1, sample(c(10, 100, 1000, 1e5), 1), shift))
  if (sum(b) > 0 && sum(c) > 0) add_hist(b, c)
}
write_csv(hist_rows, "drift_histograms.csv", c("baseline", "current", "psi", "js_divergence"))

# ---------------------------------------------------------------- Kolmogorov–Smirnov
set.seed(20261203)
ks_rows <- list()
add_ks <- function(x, y) {
  t <- suppressWarnings(ks.test(x, y))
  ks_rows[[length(ks_rows) + 1]] <<- c(joined(x), joined(y), num(t$statistic), num(t$p.value),
                                       ifelse(t$exact, 1, 0))
}
add_ks(c(0.5), c(0.7))                                   # smallest: D = 1
add_ks(c(0.1, 0.2, 0.3), c(0.1, 0.2, 0.3))               # identical with ties: D = 0
add_ks(c(1, 2, 3), c(4, 5, 6, 7))                        # disjoint
add_ks(c(0.2), c(0.1, 0.3, 0.5, 0.9, 0.4))
add_ks(c(1, 2, 2, 3, 3, 3), c(2, 3, 3, 4))               # ties within and across samples
add_ks(round(runif(30), 1), round(runif(40), 1))        # heavy ties, exact
add_ks(round(rnorm(50), 1), round(rnorm(60, 0.3), 1))
add_ks(sample(0:3, 20, TRUE), sample(0:3, 25, TRUE))     # categorical-like
for (k in 1:12) {                                         # exact, no ties
  m <- sample(2:80, 1); n <- sample(2:80, 1)
  add_ks(rnorm(m), rnorm(n, runif(1, 0, 1), runif(1, 0.7, 1.5)))
}
add_ks(runif(99), runif(101))                            # 9999: still exact
add_ks(runif(99), runif(101, 0.05, 1.05))
add_ks(runif(100), runif(100, 0.1, 1.1))                 # 10000: asymptotic
add_ks(runif(100), runif(100))
for (k in 1:8) {                                          # asymptotic, no ties
  m <- sample(100:2000, 1); n <- sample(100:2000, 1)
  add_ks(rbeta(m, 2, 3), rbeta(n, 2, 3 + runif(1, 0, 0.6)))
}
add_ks(round(rbeta(800, 2, 3), 2), round(rbeta(900, 2.2, 3), 2))  # asymptotic with ties
add_ks(rbeta(3000, 2, 5), rbeta(40, 5, 2))               # tiny p-value
write_csv(ks_rows, "kolmogorov_smirnov.csv", c("x", "y", "statistic", "p_value", "exact"))
