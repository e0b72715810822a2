# The drift statistics as docs/statistics.md defines them ("Drift against a
# baseline"), for the generators of this folder: R has neither the population
# stability index nor the Jensen–Shannon divergence.
#   psi(b, c): Σ (c_i − b_i) · ln(c_i / b_i) over proportions, an empty bin's
#              proportion replaced by 1e-4
#   js(b, c):  Jensen–Shannon divergence in bits, 0 · log 0 = 0
# b and c are counts per bin (or per group).
EMPTY <- 1e-4
psi <- function(b, c) {
  pb <- ifelse(b == 0, EMPTY, b / sum(b))
  pc <- ifelse(c == 0, EMPTY, c / sum(c))
  sum((pc - pb) * log(pc / pb))
}
kl2 <- function(p, m) sum(ifelse(p > 0, p * log2(p / m), 0))
js <- function(b, c) {
  pb <- b / sum(b); pc <- c / sum(c); m <- (pb + pc) / 2
  (kl2(pb, m) + kl2(pc, m)) / 2
}
