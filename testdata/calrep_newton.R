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
source("calrep_setup.R")
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
  rows[[cs]] <- shares(cs, des)
}
write_golden(rows, "calrep_newton")
