# Golden file for sipas estimate under the replicate variances of a
# calibration of cluster means (estimate --weighting with a calibrate step
# with "aggregate" and --variance jk1, streamed or in memory): R survey's
# as.svrepdesign() of the one-stage cluster sample apiclus1 (PSUs dnum,
# without and with the fpc; mse = TRUE), then calibrate(aggregate.index =
# ~dnum), which calibrates every replicate's cluster means (R's ave() of
# the model matrix and of the replicate's weights) so that g is constant
# within a district, then svymean, svytotal and svyratio nationally and
# svyby() by stype, with their replicate SEs.
#
# The data are testdata/calopts/apiclus1.csv with the columns the Go tests
# add (index/sums_estcal_test.go, estcalFixture): hi = (api00 > 700),
# holes = api00 with NA at the rows i (1-based) with (i - 1) mod 11 = 3.
# The totals: 6194 schools (the design weights' sum) and 3,500,000 enrolled
# (the sample's estimate is 3,404,940; the population's 3,811,472 gives
# negative weights at the level of districts). The cases (the Go test
# spells the same weighting specifications):
#   agg_linear   calibrate(~enroll, aggregate.index = ~dnum), linear (an
#                intercept and enroll)
#   agg_raking   the same with calfun = "raking"
# Run from the root: Rscript testdata/calrep_aggregate.R. Writes
# testdata/calrep_aggregate/estimates.csv (sprintf("%.17g")) and versions.txt.
out <- "testdata/calrep_aggregate"
source("testdata/golden_setup.R")
cl <- read.csv(file.path("testdata", "calopts", "apiclus1.csv"), stringsAsFactors = FALSE)
cl$hi <- as.numeric(cl$api00 > 700)
cl$holes <- cl$api00
cl$holes[(seq_len(nrow(cl)) - 1) %% 11 == 3] <- NA
pop <- c(`(Intercept)` = 6194, enroll = 3500000)
cldes <- list(
  jk1 = as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = cl), type = "JK1", mse = TRUE),
  jk1fpc = as.svrepdesign(svydesign(id = ~dnum, fpc = ~fpc, weights = ~pw, data = cl), type = "JK1", mse = TRUE))
cases <- list(
  agg_linear = function(d) calibrate(d, ~enroll, pop, aggregate.index = ~dnum),
  agg_raking = function(d) calibrate(d, ~enroll, pop, aggregate.index = ~dnum, calfun = "raking",
                                     maxit = 200, epsilon = 1e-13))
rows <- list()
for (cs in names(cases)) {
  for (dn in names(cldes)) {
    des <- cases[[cs]](cldes[[dn]])
    if (any(weights(des, "analysis") < 0)) stop(cs, " ", dn, ": a negative replicate weight")
    rows <- c(rows, estimand_rows(cs, dn, des, "stype"))
  }
}
write.csv(do.call(rbind, rows), file.path(out, "estimates.csv"), row.names = FALSE)
