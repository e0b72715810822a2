# Writes ucb_admissions.jsonl (one event per applicant of R's UCBAdmissions
# data set: Bickel, Hammel & O'Connell, Science 1975) and the values R gives
# for it, ucb_admissions_expected.csv. The aggregate impact ratio of women
# fails the four-fifths rule; stratified by department (CMH) there is no
# significant association: Simpson's paradox.
#
#   Rscript tests/data/generate_ucb_admissions.R   (from the repository root)
out_dir <- "tests/data"
x <- UCBAdmissions  # Admit x Gender x Dept
lines <- character(0)
id <- 0
for (dept in dimnames(x)$Dept) {
  for (gender in dimnames(x)$Gender) {
    for (admit in dimnames(x)$Admit) {
      n <- x[admit, gender, dept]
      for (i in seq_len(n)) {
        id <- id + 1
        lines[id] <- sprintf(paste0('{"event_id":"ucb-%05d","timestamp":"1973-09-01T00:00:00Z",',
                                    '"system":"ucb-graduate","stage":"admission","requisition":"dept-%s",',
                                    '"decision":"%s","attributes":{"sex":"%s"}}'),
                             id, dept, tolower(admit), tolower(gender))
      }
    }
  }
}
writeLines(lines, file.path(out_dir, "ucb_admissions.jsonl"))

admitted <- apply(x, 2, function(m) sum(m["Admitted", ]))
applied <- apply(x, 2, sum)
rate <- admitted / applied
# Table with women (non-reference) first, men (reference: highest rate) second.
t <- x[c("Admitted", "Rejected"), c("Female", "Male"), ]
t <- aperm(t, c(2, 1, 3))  # Gender x Admit x Dept
cmh <- mantelhaen.test(t, correct = TRUE)
fmt <- function(v) format(v, digits = 17)
expected <- data.frame(
  key = c("applicants_female", "selected_female", "applicants_male", "selected_male",
          "impact_ratio_female", "cmh_statistic", "cmh_p_value", "cmh_common_odds_ratio",
          "cmh_common_odds_ratio_lower", "cmh_common_odds_ratio_upper"),
  value = c(fmt(applied["Female"]), fmt(admitted["Female"]), fmt(applied["Male"]),
            fmt(admitted["Male"]), fmt(rate["Female"] / rate["Male"]), fmt(cmh$statistic),
            fmt(cmh$p.value), fmt(cmh$estimate), fmt(cmh$conf.int[1]), fmt(cmh$conf.int[2])))
write.csv(expected, file.path(out_dir, "ucb_admissions_expected.csv"), row.names = FALSE, quote = FALSE)
