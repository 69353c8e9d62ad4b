# Golden file for the replicate variances of a calibration that needs every
# row followed by steps on classes (sipas index/estimate --weighting with
# numeric calibration variables, then poststratify, rake or a category
# calibrate, and --variance jkn or jk1, streamed or in memory): R survey's
# as.svrepdesign() of the design (mse = TRUE), then calibrate() of the
# replicate design and postStratify(), rake() or calibrate() of the
# result, each of which re-runs on every replicate's own weights (the
# later step's class totals are those of replicate r's calibrated
# weights); then svymean, svytotal and svyratio nationally and svyby() of
# the same by size (estimand_rows of golden_setup.R).
#
# The data are testdata/calopts/apistrat.csv with the columns the Go tests
# add (index/sums_estcal_test.go, estcalFixture): hi = (api00 > 700),
# holes = api00 with NA at the rows i (1-based) with (i - 1) mod 11 = 3,
# size = "big" when enroll > 500 else "small". The cases (the Go test,
# index/sums_repsteps_test.go, spells the same weighting specifications),
# under JKn (strata stype, PSUs snum, fpc) and JK1 (PSUs snum):
#   linear_post    calibrate(~stype + enroll), linear, then postStratify(~size)
#   raking_rake    calibrate(~enroll - 1, calfun = "raking"), then
#                  rake(~size, ~stype)
#   logit_catcal   calibrate(~stype + enroll, calfun = "logit",
#                  bounds = c(0.5, 2)), then calibrate(~size)
# Run from the root: Rscript testdata/calrep_later.R. Writes
# testdata/calrep_later/estimates.csv (sprintf("%.17g")) and versions.txt.
out <- "testdata/calrep_later"
source("testdata/golden_setup.R")
d <- read.csv(file.path("testdata", "calopts", "apistrat.csv"), stringsAsFactors = FALSE)
d$hi <- as.numeric(d$api00 > 700)
d$holes <- d$api00
d$holes[(seq_len(nrow(d)) - 1) %% 11 == 3] <- NA
d$size <- ifelse(d$enroll > 500, "big", "small")
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
pop.size <- data.frame(size = c("big", "small"), Freq = c(2900, 3294))
pop.stype <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
cal <- function(des, f, p, ...) calibrate(des, f, p, maxit = 200, epsilon = 1e-13, ...)
designs <- list(
  jkn = as.svrepdesign(svydesign(id = ~snum, strata = ~stype, fpc = ~fpc, weights = ~pw, data = d), type = "JKn", mse = TRUE),
  jk1 = as.svrepdesign(svydesign(id = ~snum, weights = ~pw, data = d), type = "JK1", mse = TRUE))
cases <- list(
  linear_post = function(des) postStratify(cal(des, ~stype + enroll, pop), ~size, pop.size),
  raking_rake = function(des) rake(cal(des, ~enroll - 1, pop["enroll"], calfun = "raking"),
                                   list(~size, ~stype), list(pop.size, pop.stype),
                                   control = list(maxit = 1000, epsilon = 1e-14)),
  logit_catcal = function(des) calibrate(cal(des, ~stype + enroll, pop, calfun = "logit", bounds = c(0.5, 2)),
                                         ~size, c(`(Intercept)` = 6194, sizesmall = 3294)))
rows <- list()
for (cs in names(cases)) {
  for (dn in names(designs)) {
    des <- cases[[cs]](designs[[dn]])
    if (any(weights(des, "analysis") < 0)) stop(cs, " ", dn, ": a negative replicate weight")
    rows <- c(rows, estimand_rows(cs, dn, des, "size"))
  }
}
write.csv(do.call(rbind, rows), file.path(out, "estimates.csv"), row.names = FALSE)
