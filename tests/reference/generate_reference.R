#!/usr/bin/env Rscript
# Reference values for the statistics of detectors/ (formulas: docs/statistics.md).
#
#   Rscript tests/reference/generate_reference.R
#
# Writes tests/reference/*.csv next to this script. The C++ tests
# (tests/unit/statistics_reference_test.cpp) read those files; CI never runs R.
# Every value comes from R's own functions (prop.test, fisher.test, dhyper,
# chisq.test, pchisq, p.adjust, mantelhaen.test) except the Katz interval and
# the four-fifths verdict, which R lacks: those follow their definitions here
# (the Katz one is cross-checked against statsmodels by generate_reference.py).
# Numbers: %.17g; NA = the function must return nullopt (or the field is absent).

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script) == 1) dirname(normalizePath(script)) else "tests/reference"

RELERR <- 1 + 1e-7  # fisher.test's tolerance for "no more probable"

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
int <- function(x) sprintf("%.0f", x)

write_csv <- function(rows, name, header) {
  lines <- c(paste(header, collapse = ","), vapply(rows, paste, "", collapse = ","))
  writeLines(lines, file.path(out_dir, name))
  cat(sprintf("%-28s %6d cases\n", name, length(rows)))
}

# Cells "selected/applicants" joined by spaces (groups) or ';' (strata).
cells <- function(s, n) paste(int(s), int(n), sep = "/", collapse = " ")

# All (s, n) pairs with 0 <= s <= n, n in ns.
pairs_upto <- function(ns) {
  do.call(rbind, lapply(ns, function(n) cbind(s = 0:n, n = n)))
}

two_group_grid <- function(ns) {
  p <- pairs_upto(ns)
  idx <- expand.grid(g = seq_len(nrow(p)), r = seq_len(nrow(p)))
  cbind(gs = p[idx$g, "s"], gn = p[idx$g, "n"], rs = p[idx$r, "s"], rn = p[idx$r, "n"])
}

# One seed per section: editing a section leaves the other sections' cases alone.
# Two-group cases beyond the exhaustive grid: large counts, extreme p-values,
# exact ties on the four-fifths line, tables symmetric around the mode.
set.seed(20261121)
large_two_group <- rbind(
  c(400000, 1e6, 500000, 1e6), c(499000, 1e6, 500000, 1e6), c(499500, 1e6, 500000, 1e6),
  c(1, 1e6, 0, 1e6), c(0, 1e6, 1e6, 1e6), c(1e6, 1e6, 0, 1e6), c(300000, 1e6, 300500, 1e6),
  c(10, 1e6, 25, 1e6), c(123456, 654321, 234567, 765432), c(5, 10, 999990, 1e6),
  c(999999, 1e6, 1e6, 1e6), c(0, 1e6, 0, 1e6), c(1e6, 1e6, 1e6, 1e6), c(500000, 1e6, 500000, 1e6),
  c(400000, 1e6, 500000, 1e6), c(40, 100, 50, 100), c(39, 100, 50, 100), c(12, 35, 3, 7),
  c(4000, 10000, 5000, 10000), c(3999, 10000, 5000, 10000), c(240000, 600000, 300000, 600000),
  c(8, 25, 10, 25), c(1, 2, 999999, 1e6), c(20, 1e6, 1, 3), c(150, 1000, 450, 1000),
  c(100, 1000, 500, 1000), c(30, 200, 90, 200), c(50000, 1e6, 45000, 900000),
  c(700000, 1e6, 100000, 1e6), c(1, 1000000, 999999, 1000000), c(300000, 1e6, 700000, 1e6),
  c(499000, 1e6, 501000, 1e6), c(499900, 1e6, 500100, 1e6), c(7, 2e6, 1, 3)
)
colnames(large_two_group) <- c("gs", "gn", "rs", "rn")
random_two_group <- t(replicate(60, {
  gn <- round(10^runif(1, 1, 6)); rn <- round(10^runif(1, 1, 6))
  pr <- runif(1); pg <- pr * runif(1, 0.3, 1.1); pg <- min(pg, 1)
  c(rbinom(1, gn, pg), gn, rbinom(1, rn, pr), rn)
}))
colnames(random_two_group) <- colnames(large_two_group)
beyond_grid <- rbind(large_two_group, random_two_group)

# ---------------------------------------------------------------- Wilson
wilson_rows <- list()
add_wilson <- function(s, n, conf) {
  ci <- suppressWarnings(prop.test(s, n, correct = FALSE, conf.level = conf)$conf.int)
  wilson_rows[[length(wilson_rows) + 1]] <<- c(int(s), int(n), num(conf), num(ci[1]), num(ci[2]))
}
for (conf in c(0.95, 0.9, 0.99)) {
  for (n in 1:10) for (s in 0:n) add_wilson(s, n, conf)
}
for (n in c(11, 30, 100, 1000, 12345, 1e6, 1e9)) {
  for (s in unique(c(0, 1, 2, round(n * 0.03), n %/% 2, n - 1, n))) {
    for (conf in c(0.95, 0.5, 0.999)) add_wilson(s, n, conf)
  }
}
write_csv(wilson_rows, "wilson.csv", c("selected", "applicants", "confidence", "lower", "upper"))

# ---------------------------------------------------------------- Katz impact ratio
# Definition (detectors/include/fairwatch/detectors/impact_ratio.h): nullopt when
# a group has no applicants or the reference selected nobody; 0.5 added to all
# four cells when exactly one selected count is 0 (here: the group's).
katz <- function(gs, gn, rs, rn, conf) {
  if (gn == 0 || rn == 0 || rs == 0) return(c(NA, NA, NA))
  ratio <- (gs / gn) / (rs / rn)
  cells <- c(gs, gn - gs, rs, rn - rs)
  if ((gs == 0) != (rs == 0)) cells <- cells + 0.5
  a <- cells[1]; b <- cells[2]; c <- cells[3]; d <- cells[4]
  log_ratio <- log((a / (a + b)) / (c / (c + d)))
  se <- sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
  z <- qnorm((1 + conf) / 2)
  c(ratio, exp(log_ratio - z * se), exp(log_ratio + z * se))
}
impact_rows <- list()
add_impact <- function(x, conf) {
  k <- katz(x[1], x[2], x[3], x[4], conf)
  impact_rows[[length(impact_rows) + 1]] <<- c(int(x), num(conf), num(k))
}
grid8 <- two_group_grid(0:8)
for (i in seq_len(nrow(grid8))) add_impact(grid8[i, ], 0.95)
for (i in seq_len(nrow(beyond_grid))) {
  for (conf in c(0.95, 0.9, 0.99)) add_impact(beyond_grid[i, ], conf)
}
write_csv(impact_rows, "impact_ratio.csv",
          c("group_selected", "group_applicants", "reference_selected", "reference_applicants",
            "confidence", "ratio", "lower", "upper"))

# ---------------------------------------------------------------- four-fifths
set.seed(20261122)
# below: 5 s_g n_r < 4 s_r n_g (exact in doubles below 2^53). shortfall: the
# least k >= 0 found by stepping, not by a closed form.
four_fifths_rows <- list()
add_four_fifths <- function(x) {
  gs <- x[1]; gn <- x[2]; rs <- x[3]; rn <- x[4]
  if (gn == 0 || rn == 0) {
    below <- FALSE; k <- 0
  } else {
    below_line <- function(s) 5 * s * rn < 4 * rs * gn
    below <- below_line(gs)
    k <- max(0, floor(0.8 * rs / rn * gn) - gs - 3)
    while (k > 0 && !below_line(gs + k - 1)) k <- k - 1
    while (below_line(gs + k)) k <- k + 1
  }
  four_fifths_rows[[length(four_fifths_rows) + 1]] <<- c(int(x), if (below) "1" else "0", int(k))
}
grid10 <- two_group_grid(0:10)
for (i in seq_len(nrow(grid10))) add_four_fifths(grid10[i, ])
for (i in seq_len(nrow(beyond_grid))) add_four_fifths(beyond_grid[i, ])
# Exactly on the line at large counts: s_g = 4 s_r n_g / (5 n_r), and one below.
for (i in 1:40) {
  rn <- sample(1:10000, 1); rs <- sample(0:rn, 1); k <- sample(1:20000, 1)
  gn <- 5 * k * rn; gs <- 4 * rs * k
  stopifnot(5 * gs * rn == 4 * rs * gn)
  add_four_fifths(c(gs, gn, rs, rn))
  if (gs > 0) add_four_fifths(c(gs - 1, gn, rs, rn))
}
write_csv(four_fifths_rows, "four_fifths.csv",
          c("group_selected", "group_applicants", "reference_selected", "reference_applicants",
            "below", "shortfall"))

# ---------------------------------------------------------------- z test
# z by the pooled formula; checked against prop.test(correct = FALSE), whose
# statistic is z^2. log p from pnorm(log.p = TRUE), finite far below 1e-308.
z_rows <- list()
add_z <- function(x) {
  x <- unname(x)
  gs <- x[1]; gn <- x[2]; rs <- x[3]; rn <- x[4]
  pooled <- (gs + rs) / (gn + rn)
  if (gn == 0 || rn == 0 || pooled == 0 || pooled == 1) {
    res <- c(NA, NA, NA)
  } else {
    z <- (gs / gn - rs / rn) / sqrt(pooled * (1 - pooled) * (1 / gn + 1 / rn))
    p <- 2 * pnorm(-abs(z))
    log_p <- log(2) + pnorm(-abs(z), log.p = TRUE)
    pt <- suppressWarnings(prop.test(c(gs, rs), c(gn, rn), correct = FALSE))
    stopifnot(isTRUE(all.equal(unname(pt$statistic), z^2, tolerance = 1e-10)),
              isTRUE(all.equal(pt$p.value, p, tolerance = 1e-10)))
    res <- c(z, p, log_p)
  }
  z_rows[[length(z_rows) + 1]] <<- c(int(x), num(res))
}
for (i in seq_len(nrow(grid10))) add_z(grid10[i, ])
for (i in seq_len(nrow(beyond_grid))) add_z(beyond_grid[i, ])
write_csv(z_rows, "z_test.csv",
          c("group_selected", "group_applicants", "reference_selected", "reference_applicants",
            "z", "p", "log_p"))

# ---------------------------------------------------------------- Fisher
# p: fisher.test on rbind(group, reference) x (selected, rejected).
# log_p: the same sum in log space from dhyper(log = TRUE) over the whole
# support, so it stays finite where fisher.test's p underflows to 0.
fisher_rows <- list()
add_fisher <- function(x) {
  x <- unname(x)
  gs <- x[1]; gn <- x[2]; rs <- x[3]; rn <- x[4]
  if (gn == 0 || rn == 0) {
    res <- c(NA, NA)
  } else {
    tab <- matrix(c(gs, rs, gn - gs, rn - rs), nrow = 2)
    p <- fisher.test(tab)$p.value
    m <- gs + rs; n <- gn + rn - m; k <- gn
    lo <- max(0, k - n); hi <- min(k, m)
    logd <- dhyper(lo:hi, m, n, k, log = TRUE)
    keep <- logd[logd <= logd[gs - lo + 1] + log(RELERR)]
    top <- max(keep)
    log_p <- min(0, top + log(sum(exp(keep - top))))
    if (p > 1e-300) stopifnot(isTRUE(all.equal(log(p), log_p, tolerance = 1e-9, scale = 1)))
    res <- c(p, log_p)
  }
  fisher_rows[[length(fisher_rows) + 1]] <<- c(int(x), num(res))
}
for (i in seq_len(nrow(grid10))) add_fisher(grid10[i, ])
for (i in seq_len(nrow(beyond_grid))) add_fisher(beyond_grid[i, ])
write_csv(fisher_rows, "fisher.csv",
          c("group_selected", "group_applicants", "reference_selected", "reference_applicants",
            "p", "log_p"))

# ---------------------------------------------------------------- chi-squared
set.seed(20261123)
# chisq.test(correct = FALSE) on the k x 2 table without the empty groups.
chi_rows <- list()
add_chi <- function(s, n) {
  used <- n > 0
  res <- c(NA, NA, NA, NA)
  if (sum(used) >= 2 && sum(s) > 0 && sum(s) < sum(n)) {
    tab <- cbind(s[used], n[used] - s[used])
    ct <- suppressWarnings(chisq.test(tab, correct = FALSE))
    stat <- unname(ct$statistic); df <- unname(ct$parameter)
    log_p <- pchisq(stat, df, lower.tail = FALSE, log.p = TRUE)
    res <- c(stat, df, ct$p.value, log_p)
  }
  chi_rows[[length(chi_rows) + 1]] <<- c(cells(s, n), num(res[1]), if (is.na(res[2])) "NA" else int(res[2]), num(res[3:4]))
}
p5 <- pairs_upto(0:5)
for (i in seq_len(nrow(p5))) for (j in seq_len(nrow(p5))) {
  add_chi(c(p5[i, "s"], p5[j, "s"]), c(p5[i, "n"], p5[j, "n"]))
}
p3 <- pairs_upto(0:3)
for (i in seq_len(nrow(p3))) for (j in seq_len(nrow(p3))) for (k in seq_len(nrow(p3))) {
  add_chi(p3[c(i, j, k), "s"], p3[c(i, j, k), "n"])
}
for (r in 1:400) {
  k <- sample(3:8, 1)
  scale <- 10^sample(1:6, 1)
  n <- round(runif(k, 0, 1) * scale)
  if (runif(1) < 0.2) n[sample(k, 1)] <- 0
  base <- runif(1)
  spread <- sample(c(0, 0.01, 0.1, 0.5), 1)
  rates <- pmin(1, pmax(0, base + runif(k, -spread, spread)))
  add_chi(rbinom(k, n, rates), n)
}
add_chi(c(1e5, 5e5), c(1e6, 1e6))
add_chi(c(1e5, 5e5, 3e5, 2e5), c(1e6, 1e6, 1e6, 1e6))
add_chi(c(0, 1e6, 5e5), c(1e6, 1e6, 1e6))
add_chi(c(1, 2, 3, 4, 5, 6, 7, 8), c(10, 10, 10, 10, 10, 10, 10, 10))
add_chi(c(3, 3, 3), c(9, 9, 9))
add_chi(c(5, 5, 5), c(5, 5, 5))
add_chi(c(0, 0, 0), c(5, 0, 7))
write_csv(chi_rows, "chi_squared.csv", c("groups", "statistic", "df", "p", "log_p"))

# ---------------------------------------------------------------- p.adjust
set.seed(20261124)
adjust_rows <- list()
add_adjust <- function(p, method) {
  adjust_rows[[length(adjust_rows) + 1]] <<-
    c(method, paste(num(p), collapse = " "), paste(num(p.adjust(p, method)), collapse = " "))
}
for (r in 1:150) {
  len <- sample(1:8, 1)
  p <- switch(sample(1:4, 1),
              runif(len),
              sample(c(0.01, 0.02, 0.04, 0.5, 1), len, replace = TRUE),
              10^-runif(len, 0, 30),
              c(runif(len), 1e-300, 0, 1)[sample(len + 3, len)])
  if (runif(1) < 0.1 && len > 1) p[sample(len, 1)] <- NA
  for (method in c("holm", "BH", "none")) add_adjust(p, method)
}
for (method in c("holm", "BH")) {
  add_adjust(c(0.01, 0.04, 0.03, 0.005), method)
  add_adjust(c(0.05, 0.05, 0.05), method)
  add_adjust(c(0.2), method)
  add_adjust(c(NA, 0.2), method)
}
write_csv(adjust_rows, "p_adjust.csv", c("method", "p", "adjusted"))

# ---------------------------------------------------------------- CMH
set.seed(20261125)
# The contract of detectors/stratified.h mapped onto mantelhaen.test: groups
# with no applicants anywhere dropped; strata with < 2 applicants dropped (R
# rejects them); two groups: rows (non-reference, reference); R needs K >= 2,
# so a single informative stratum gets a stratum that adds exactly 0 to every
# sum (two applicants of the last row only).
cmh_rows <- list()
cmh_exact_half <- 0
cmh_exact_half_rounded <- 0
# TRUE when |sum(a - E[a])| over the 2x2xK table x is exactly 1/2, summed as
# integers over the least common multiple of the stratum sizes (exact in
# doubles for the sizes where such a tie can occur).
exact_half <- function(x) {
  n <- apply(x, 3, sum)
  gcd <- function(a, b) if (b == 0) a else gcd(b, a %% b)
  l <- 1
  for (size in n) {
    l <- l / gcd(l, size) * size
    if (l * max(n) > 2^52) return(FALSE)
  }
  num <- sum((x[1, 1, ] * n - (x[1, 1, ] + x[1, 2, ]) * (x[1, 1, ] + x[2, 1, ])) * (l / n))
  2 * abs(num) == l
}
cmh_reference <- function(s, n, ref, conf) {
  # s, n: groups x strata matrices.
  res <- list(stat = NA, df = NA, p = NA, log_p = NA, or = NA, lo = NA, hi = NA, strata = NA)
  kept <- which(rowSums(n) > 0)
  if (length(kept) < 2) return(res)
  informative <- which(colSums(n[kept, , drop = FALSE]) >= 2)
  if (length(kept) == 2) {
    rows <- if (kept[1] == ref) kept[2:1] else kept
  } else {
    rows <- kept
  }
  K <- length(informative)
  if (K == 0) return(res)
  x <- array(0, dim = c(length(rows), 2, max(K, 2)))
  for (j in seq_len(K)) {
    x[, 1, j] <- s[rows, informative[j]]
    x[, 2, j] <- n[rows, informative[j]] - s[rows, informative[j]]
  }
  if (K == 1) x[length(rows), , 2] <- c(1, 1)
  mh <- tryCatch(mantelhaen.test(x, correct = TRUE, conf.level = conf), error = function(e) NULL)
  if (is.null(mh) || !is.finite(mh$statistic)) return(res)
  res$stat <- unname(mh$statistic); res$df <- unname(mh$parameter); res$p <- mh$p.value
  if (length(rows) == 2 && exact_half(x)) {
    # |DELTA| is exactly 1/2: Yates applies and the statistic is 0, whichever
    # way R's rounded sum happens to fall.
    cmh_exact_half <<- cmh_exact_half + 1
    if (res$stat != 0) cmh_exact_half_rounded <<- cmh_exact_half_rounded + 1
    res$stat <- 0; res$p <- 1
  }
  res$log_p <- pchisq(res$stat, res$df, lower.tail = FALSE, log.p = TRUE)
  res$strata <- K
  if (length(rows) == 2 && ref %in% kept) {
    if (is.finite(mh$estimate)) res$or <- unname(mh$estimate)
    if (all(is.finite(mh$conf.int)) && mh$estimate > 0) {
      res$lo <- mh$conf.int[1]; res$hi <- mh$conf.int[2]
    }
  }
  res
}
add_cmh <- function(s, n, ref, conf) {
  r <- cmh_reference(s, n, ref, conf)
  table <- paste(vapply(seq_len(ncol(n)), function(j) cells(s[, j], n[, j]), ""), collapse = ";")
  cmh_rows[[length(cmh_rows) + 1]] <<- c(
    int(ref - 1), num(conf), table, num(r$stat), if (is.na(r$df)) "NA" else int(r$df),
    num(r$p), num(r$log_p), num(r$or), num(r$lo), num(r$hi), if (is.na(r$strata)) "NA" else int(r$strata))
}
random_strata <- function(G, K, max_n, presence = 1) {
  n <- matrix(0, G, K); s <- matrix(0, G, K)
  for (j in 1:K) {
    base <- runif(1)
    for (g in 1:G) {
      if (runif(1) < presence) {
        n[g, j] <- sample(0:max_n, 1)
        s[g, j] <- rbinom(1, n[g, j], min(1, max(0, base + runif(1, -0.3, 0.3))))
      }
    }
  }
  list(s = s, n = n)
}
for (r in 1:400) {
  G <- if (r <= 200) 2 else sample(3:6, 1)
  K <- sample(1:8, 1)
  max_n <- c(1, 2, 3, 6, 20, 200, 5000, 1e6)[sample(1:8, 1)]
  presence <- sample(c(1, 1, 0.7, 0.4), 1)
  t <- random_strata(G, K, max_n, presence)
  ref <- sample(1:G, 1)
  add_cmh(t$s, t$n, ref, sample(c(0.95, 0.95, 0.9, 0.99), 1))
}
# Simpson's paradox (UCB-admissions-like): two departments.
add_cmh(matrix(c(81, 234, 192, 55), 2), matrix(c(87, 270, 263, 80), 2), 2, 0.95)
# A stratum with one applicant, one with one group only, a group absent everywhere.
add_cmh(matrix(c(3, 5, 0, 1, 0, 0, 4, 0, 0), 3), matrix(c(8, 9, 0, 1, 0, 0, 6, 0, 0), 3), 2, 0.95)
# Perfect separation in every stratum: infinite and zero odds ratios.
add_cmh(matrix(c(5, 0, 4, 0), 2), matrix(c(5, 5, 4, 4), 2), 2, 0.95)
add_cmh(matrix(c(0, 5, 0, 4), 2), matrix(c(5, 5, 4, 4), 2), 2, 0.95)
# Everyone selected: no variance. One group only. Reference absent (3 groups -> 2).
add_cmh(matrix(c(5, 3, 4, 2), 2), matrix(c(5, 3, 4, 2), 2), 1, 0.95)
add_cmh(matrix(c(2, 0, 3, 0), 2), matrix(c(5, 0, 4, 0), 2), 1, 0.95)
add_cmh(matrix(c(2, 4, 0, 3, 1, 0), 3), matrix(c(5, 6, 0, 4, 7, 0), 3), 3, 0.95)
# |DELTA| around 0.5: single 2x2 strata with a - E[a] = 0.5 and 0.25.
add_cmh(matrix(c(1, 0, 1, 1), 2), matrix(c(1, 1, 2, 2), 2), 2, 0.95)
add_cmh(matrix(c(2, 1, 0, 0), 2), matrix(c(2, 2, 0, 0), 2), 2, 0.95)
# |DELTA| exactly 1/2 that R's rounded sum puts just below 1/2 (no Yates in R).
add_cmh(matrix(c(0, 2, 1, 4, 2, 0, 2, 2, 1, 0), 2), matrix(c(0, 2, 1, 5, 6, 0, 4, 2, 1, 0), 2), 2, 0.9)
# Three groups, one present only where everybody was selected: singular.
add_cmh(matrix(c(3, 1, 2, 4, 2, 0), 3), matrix(c(6, 5, 2, 7, 6, 0), 3), 1, 0.95)
# Large strata, three and four groups.
add_cmh(matrix(c(4e5, 5e5, 4.5e5, 2e5, 2.6e5, 2.1e5), 3), matrix(rep(1e6, 6), 3), 2, 0.95)
add_cmh(matrix(c(1, 2, 3, 4, 2, 2, 2, 2), 4), matrix(c(5, 5, 5, 5, 4, 4, 4, 4), 4), 4, 0.95)
cat(sprintf("  (%d CMH cases with |DELTA| exactly 1/2, %d of them below 1/2 in R's rounding)\n",
            cmh_exact_half, cmh_exact_half_rounded))
write_csv(cmh_rows, "cmh.csv",
          c("reference", "confidence", "strata_table", "statistic", "df", "p", "log_p",
            "odds_ratio", "lower", "upper", "strata"))
