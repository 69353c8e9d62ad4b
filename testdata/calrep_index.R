# Golden file for the replicate variances of a linear calibration that needs
# every ballot (sipas index --weighting with numeric variables and
# --variance jkn or jk1, streamed or in memory): R survey's
# as.svrepdesign() of the design, then calibrate() of the replicate design
# (which re-calibrates every replicate), then the criteria's shares
# P_c = 100 svyratio(~s_c, ~v_c) nationally and by level (subset() of the
# calibrated replicate design). The synthetic survey is
# testdata/index/sipas_small.csv with a numeric column
# age = 18 + (7919 (i − 1) mod 53) (i the row number); the calibration is to
# the field margin (the weighted sample totals times 1.05, 0.95, … in sorted
# order) and the age total (1.02 times the sample's), linear (GREG). The
# weighting specification is written next to the golden. Run from testdata/:
#
#   cd testdata && Rscript calrep_index.R
#
# Writes testdata/weighting/calrep_spec.json, testdata/weighting/calrep_index.csv
# and testdata/weighting/calrep_index_versions.txt.
source("calrep_setup.R")
spec <- sprintf('{"design_weight": "weight", "steps": [{"calibrate": {"margins": [{"by": ["field"], "totals": {%s}}], "numeric": {"age": %s}}}]}\n',
                paste(sprintf('"%s": %s', names(ft), g17(ft)), collapse = ", "), g17(age.total))
cat(spec, file = file.path("weighting", "calrep_spec.json"))
rows <- list()
for (cs in names(designs)) {
  des <- calibrate(designs[[cs]], ~field + age, pop[colnames(model.matrix(~field + age, s))])
  rows[[cs]] <- shares(cs, des)
}
write_golden(rows, "calrep_index")
