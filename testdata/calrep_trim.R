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
source("calrep_setup.R")
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
  rows[[cs]] <- shares(cs, des)
}
write_golden(rows, "calrep_trim")
