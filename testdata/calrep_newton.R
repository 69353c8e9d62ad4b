# Golden file for the replicate variances of a raking-ratio, logit or
# bounded linear calibration that needs every ballot (sipas index
# --weighting with numeric variables, a calibration method or bounds, and
# --variance jkn or jk1, streamed or in memory): R survey's as.svrepdesign()
# of the design, then calibrate(calfun =, bounds =) of the replicate design
# (which re-calibrates every replicate by its own Newton iterations), then
# the criteria's shares P_c = 100 svyratio(~s_c, ~v_c) nationally and by
# level (subset() of the calibrated replicate design). The survey and the
# totals are those of calrep_index.R: testdata/index/sipas_small.csv with
# age = 18 + (7919 (i − 1) mod 53), the field margin (the weighted sample
# totals times 1.05, 0.95, … in sorted order) and the age total (1.02 times
# the sample's). epsilon is 1e-10, sipas's default (R's is 1e-7). The
# weighting specification of every case is written next to the golden. Run
# from testdata/:
#
#   cd testdata && Rscript calrep_newton.R
#
# Writes testdata/weighting/calrep_newton_<case>.json,
# testdata/weighting/calrep_newton.csv and
# testdata/weighting/calrep_newton_versions.txt.
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
cases <- list(
  jkn_raking = list("jkn", "raking", NULL),
  jkn_logit = list("jkn", "logit", c(0.5, 1.8)),
  jk1_bounds = list("jk1", "linear", c(0.85, 1.15)),
  jk1_raking_bounds = list("jk1", "raking", c(0.85, 1.15)))
rows <- list()
for (cs in names(cases)) {
  k <- cases[[cs]]
  extra <- if (k[[2]] == "linear") "" else sprintf('"method": "%s", ', k[[2]])
  if (!is.null(k[[3]])) extra <- paste0(extra, sprintf('"bounds": [%s, %s], ', g17(k[[3]][1]), g17(k[[3]][2])))
  spec <- sprintf('{"design_weight": "weight", "steps": [{"calibrate": {%s"margins": [{"by": ["field"], "totals": {%s}}], "numeric": {"age": %s}}}]}\n',
                  extra, paste(sprintf('"%s": %s', names(ft), g17(ft)), collapse = ", "), g17(age.total))
  cat(spec, file = file.path("weighting", paste0("calrep_newton_", cs, ".json")))
  des <- if (is.null(k[[3]])) {
    calibrate(designs[[k[[1]]]], ~field + age, pop[colnames(model.matrix(~field + age, s))], calfun = k[[2]], epsilon = 1e-10)
  } else {
    calibrate(designs[[k[[1]]]], ~field + age, pop[colnames(model.matrix(~field + age, s))], calfun = k[[2]], bounds = k[[3]], epsilon = 1e-10)
  }
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
write.csv(out, file.path("weighting", "calrep_newton.csv"), row.names = FALSE, quote = TRUE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))),
           file.path("weighting", "calrep_newton_versions.txt"))
