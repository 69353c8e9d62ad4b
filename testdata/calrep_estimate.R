# Golden file for sipas estimate under the replicate variances of a linear
# calibration that needs every row (estimate --weighting with numeric
# calibration variables and --variance jkn or jk1, streamed or in memory):
# R survey's as.svrepdesign() of the design (mse = TRUE), then the
# weighting of the replicate design (postStratify() or rake() first in
# some cases, then calibrate(), which re-runs every step on every
# replicate's weights), then svymean, svytotal and svyratio nationally and
# svyby() of the same by a domain column, with their replicate SEs.
#
# The data are testdata/calopts/apistrat.csv and apiclus1.csv with the
# columns the Go tests add (index/sums_estcal_test.go, estcalFixture):
# hi = (api00 > 700), holes = api00 with NA at the rows i (1-based) with
# (i - 1) mod 11 = 3, size = "big" when enroll > 500 else "small".
# The cases (the Go test spells the same weighting specifications):
#   apistrat, JKn (strata stype, PSUs snum, fpc) and JK1 (PSUs snum), by size:
#     margins_numeric  calibrate(~stype + enroll), linear
#     ratio_variance   calibrate(~enroll - 1, variance = enroll)
#     ps_margins       postStratify(~size) then calibrate(~stype + enroll)
#     rake_numeric     rake(~size, ~stype) then calibrate(~enroll - 1)
#   apiclus1, JK1 (PSUs dnum; without and with the fpc), by stype:
#     clus1_numeric    calibrate(~enroll) (an intercept and enroll)
# Run from the root: Rscript testdata/calrep_estimate.R. Writes
# testdata/calrep_estimate/estimates.csv (sprintf("%.17g")) and versions.txt.
out <- "testdata/calrep_estimate"
source("testdata/golden_setup.R")
prep <- function(file) {
  d <- read.csv(file.path("testdata", "calopts", file), stringsAsFactors = FALSE)
  d$hi <- as.numeric(d$api00 > 700)
  d$holes <- d$api00
  d$holes[(seq_len(nrow(d)) - 1) %% 11 == 3] <- NA
  d$size <- ifelse(d$enroll > 500, "big", "small")
  d
}
st <- prep("apistrat.csv")
cl <- prep("apiclus1.csv")
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
pop.size <- data.frame(size = c("big", "small"), Freq = c(2900, 3294))
pop.stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
cal <- function(des, f, p, ...) calibrate(des, f, p, maxit = 200, epsilon = 1e-13, ...)
stdes <- list(
  jkn = as.svrepdesign(svydesign(id = ~snum, strata = ~stype, fpc = ~fpc, weights = ~pw, data = st), type = "JKn", mse = TRUE),
  jk1 = as.svrepdesign(svydesign(id = ~snum, weights = ~pw, data = st), type = "JK1", mse = TRUE))
cldes <- list(
  jk1 = as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, data = cl), type = "JK1", mse = TRUE),
  jk1fpc = as.svrepdesign(svydesign(id = ~dnum, fpc = ~fpc, weights = ~pw, data = cl), type = "JK1", mse = TRUE))
cases <- list(
  margins_numeric = list(des = stdes, by = "size", w = function(d) cal(d, ~stype + enroll, pop)),
  ratio_variance = list(des = stdes, by = "size",
                        w = function(d) cal(d, ~enroll - 1, pop["enroll"], variance = st$enroll)),
  ps_margins = list(des = stdes, by = "size",
                    w = function(d) cal(postStratify(d, ~size, pop.size), ~stype + enroll, pop)),
  rake_numeric = list(des = stdes, by = "size",
                      w = function(d) cal(rake(d, list(~size, ~stype), list(pop.size, pop.stype),
                                               control = list(maxit = 1000, epsilon = 1e-14)),
                                          ~enroll - 1, pop["enroll"])),
  clus1_numeric = list(des = cldes, by = "stype", w = function(d) cal(d, ~enroll, pop[c(1, 4)])))
rows <- list()
for (cs in names(cases)) {
  cc <- cases[[cs]]
  for (dn in names(cc$des)) {
    des <- cc$w(cc$des[[dn]])
    if (any(weights(des, "analysis") < 0)) stop(cs, " ", dn, ": a negative replicate weight")
    rows <- c(rows, estimand_rows(cs, dn, des, cc$by))
  }
}
write.csv(do.call(rbind, rows), file.path(out, "estimates.csv"), row.names = FALSE)
