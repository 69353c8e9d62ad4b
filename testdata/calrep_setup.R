# The survey, totals and replicate designs of the golden files of
# calibrated replicates (calrep_index.R, calrep_newton.R, calrep_trim.R),
# sourced by each from testdata/: testdata/index/sipas_small.csv with a
# numeric column age = 18 + (7919 (i − 1) mod 53) (i the row number), the
# field margin (the weighted sample totals times 1.05, 0.95, … in sorted
# order) and the age total (1.02 times the sample's) as pop (the model
# matrix's names of ~field + age); the 0/1 columns s_c (satisfied) and v_c
# (valid answer) of every criterion c of crit; the replicate designs JKn
# (strata, fpc) and JK1 (no strata) of as.svrepdesign() with mse = TRUE;
# shares(cs, des), the rows of case cs: the criteria's shares
# P_c = 100 svyratio(~s_c, ~v_c) of the calibrated replicate design des
# nationally and by level (subset()); and write_golden(rows, name), which
# writes weighting/NAME.csv and weighting/NAME_versions.txt.
suppressPackageStartupMessages(library(survey))
s <- read.csv(file.path("index", "sipas_small.csv"), stringsAsFactors = FALSE, encoding = "UTF-8",
              colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
s$age <- 18 + ((seq_len(nrow(s)) - 1) * 7919) %% 53
ft <- tapply(s$weight, s$field, sum)
ft <- ft[order(names(ft))]
ft <- ft * (1 + 0.05 * (1 - 2 * ((seq_along(ft) - 1) %% 2)))
age.total <- sum(s$weight * s$age) * 1.02

elements <- list(access = paste0("access_", 1:4), procedures = paste0("procedures_", 1:5),
                 officials = paste0("officials_", 1:6), outcomes = paste0("outcomes_", 1:3),
                 feedback = paste0("feedback_", 1:4))
crit <- unlist(elements, use.names = FALSE)
for (c in crit) {
  s[[paste0("s_", c)]] <- as.numeric(!is.na(s[[c]]) & s[[c]] %in% 4:5)
  s[[paste0("v_", c)]] <- as.numeric(!is.na(s[[c]]) & s[[c]] %in% 1:5)
}
fields <- names(ft)
pop <- c(`(Intercept)` = sum(ft), setNames(as.vector(ft[-1]), paste0("field", fields[-1])), age = age.total)
designs <- list(
  jkn = as.svrepdesign(svydesign(id = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = s, nest = TRUE),
                       type = "JKn", mse = TRUE),
  jk1 = as.svrepdesign(svydesign(id = ~psu, weights = ~weight, data = s), type = "JK1", mse = TRUE))
shares <- function(cs, des) {
  rows <- list()
  for (dom in c("", sort(unique(s$level)))) {
    sub <- if (dom == "") des else subset(des, level == dom)
    for (c in crit) {
      r <- svyratio(as.formula(paste0("~s_", c)), as.formula(paste0("~v_", c)), sub)
      rows[[length(rows) + 1]] <- data.frame(case = cs, by = if (dom == "") "" else "level", domain = dom, id = c,
                                             estimate = g17(100 * coef(r)), se = g17(100 * SE(r)))
    }
  }
  do.call(rbind, rows)
}
write_golden <- function(rows, name) {
  write.csv(do.call(rbind, rows), file.path("weighting", paste0(name, ".csv")), row.names = FALSE, quote = TRUE)
  writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
             file.path("weighting", paste0(name, "_versions.txt")))
}
