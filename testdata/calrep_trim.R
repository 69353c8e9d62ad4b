# Golden file for the replicate variances of an unbounded linear
# calibration with trimming of g (sipas index --weighting with numeric
# variables, a calibrate step with "trim" and no bounds, and --variance jkn
# or jk1, streamed or in memory). R's calibrate() takes its closed form
# (regcalibrate) for calfun = "linear" without bounds and ignores trim
# there; given the calfun object cal.linear it takes grake's path, whose
# Newton iteration solves the linear calibration in one step (to rounding)
# and then trims g, of the full sample and of every replicate, as sipas
# does: g outside trim is set to the bound and the trimmed weight
# Σ (g − g') w is added to the other rows in proportion to their weight.
# The survey, totals and estimates are those of calrep_newton.R
# (testdata/index/sipas_small.csv with its age column, the field margin and
# the age total; the criteria's shares 100 svyratio(~s_c, ~v_c) nationally
# and by level). Run from testdata/:
#
#   cd testdata && Rscript calrep_trim.R
#
# Writes testdata/weighting/calrep_trim_<case>.json,
# testdata/weighting/calrep_trim.csv and
# testdata/weighting/calrep_trim_versions.txt.
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
# case: design, calfun, bounds (NULL: none)
# case: design, trim
cases <- list(
  jkn_linear_trim = list("jkn", c(0.97, 1.03)),
  jk1_linear_trim = list("jk1", c(0.96, 1.05)))
rows <- list()
for (cs in names(cases)) {
  k <- cases[[cs]]
  extra <- sprintf('"trim": [%s, %s], ', g17(k[[2]][1]), g17(k[[2]][2]))
  spec <- sprintf('{"design_weight": "weight", "steps": [{"calibrate": {%s"margins": [{"by": ["field"], "totals": {%s}}], "numeric": {"age": %s}}}]}\n',
                  extra, paste(sprintf('"%s": %s', names(ft), g17(ft)), collapse = ", "), g17(age.total))
  cat(spec, file = file.path("weighting", paste0("calrep_trim_", cs, ".json")))
  des <- calibrate(designs[[k[[1]]]], ~field + age, pop[colnames(model.matrix(~field + age, s))], calfun = cal.linear, trim = k[[2]], epsilon = 1e-10)
  for (dom in c("", sort(unique(s$level)))) {
    sub <- if (dom == "") des else subset(des, level == dom)
    for (c in crit) {
      r <- svyratio(as.formula(paste0("~s_", c)), as.formula(paste0("~v_", c)), sub)
      rows[[length(rows) + 1]] <- data.frame(case = cs, by = if (dom == "") "" else "level", domain = dom, id = c,
                                             estimate = g17(100 * coef(r)), se = g17(100 * SE(r)))
    }
  }
}
out <- do.call(rbind, rows)
write.csv(out, file.path("weighting", "calrep_trim.csv"), row.names = FALSE, quote = TRUE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           file.path("weighting", "calrep_trim_versions.txt"))
