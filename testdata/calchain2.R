# Oracle for a second calibration after a calibration to a numeric
# variable (R survey 4.1.1): calibrate(calibrate(des, ~comp.imp + enroll),
# ~stype + api99) with linear, raking and logit distances, with
# post-stratification (by stype) between or (by sch.wide) after, and a calibration to the stype
# margin with bounds.const = TRUE after it (R divides the bounds by the
# weights entering that calibration, weights(design): bounds on the final
# weights), on apistrat (stratified with fpc; testdata/calchain2/
# apistrat.csv, written here from testdata/api/apistrat.csv). The
# linearized variance removes each calibration's projection in the order
# they were applied (svyrecvar's postStrata). Run from the root: Rscript
# testdata/calchain2.R. Writes testdata/calchain2/{weights,estimates}.csv
# (sprintf("%.17g")) and versions.txt.
out <- "testdata/calchain2"
source("testdata/golden_setup.R")
d <- read.csv("testdata/api/apistrat.csv")
d <- d[, c("snum", "stype", "pw", "fpc", "api00", "api99", "enroll", "sch.wide", "comp.imp")]
write.csv(d, file.path(out, "apistrat.csv"), row.names = FALSE)
des <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop <- c(`(Intercept)` = 6194, comp.impYes = 3994, enroll = 3811472)
pop2 <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
popt <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
it <- list(epsilon = 1e-13, maxit = 200)
cal <- function(d0, ...) calibrate(d0, ~comp.imp + enroll, pop, ...)
cal2 <- function(d0, ...) do.call(calibrate, c(list(d0, ~stype + api99, pop2, ...), it))
bc <- function(d0, ...) do.call(calibrate, c(list(d0, ~stype, popt, bounds.const = TRUE, ...), it))
post <- function(d0) postStratify(d0, ~stype, pop.types)
post2 <- function(d0) postStratify(d0, ~sch.wide, data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122)))
cases <- list(
  linear_linear = function() cal2(cal(des)),
  raking_linear = function() cal2(do.call(calibrate, c(list(des, ~enroll - 1, c(enroll = 3811472), calfun = "raking"), it))),
  linear_raking = function() cal2(cal(des), calfun = "raking"),
  linear_logit = function() cal2(cal(des), calfun = "logit", bounds = c(0.7, 1.4)),
  linear_post_linear = function() cal2(post(cal(des))),
  linear_linear_post = function() post2(cal2(cal(des))),
  linear_bconst = function() bc(cal(des), bounds = c(12, 46)),
  linear_bconst_raking = function() bc(cal(des), bounds = c(12, 46), calfun = "raking"),
  linear_bconst_logit = function() bc(cal(des), bounds = c(10, 47), calfun = "logit")
)
write_chain_goldens(cases)
