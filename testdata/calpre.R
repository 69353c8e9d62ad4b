# Oracle for a calibration to a numeric variable after a class-cell step
# (R survey 4.1.1): calibrate(postStratify(des)), calibrate(rake(des)) and
# calibrate(calibrate(des, ~stype)) on apistrat (stratified with fpc) of
# testdata/api, written by testdata/estimation.R. The linearized variance
# of such a design removes the earlier step's projection first and the
# calibration's then (svyrecvar's postStrata in order). Run from the root:
# Rscript testdata/calpre.R. Writes testdata/calpre/{apistrat,weights,
# estimates}.csv (sprintf("%.17g")) and versions.txt.
out <- "testdata/calpre"
source("testdata/golden_setup.R")
d <- read.csv("testdata/api/apistrat.csv")
write.csv(d[, c("snum", "stype", "pw", "fpc", "api00", "enroll", "sch.wide", "comp.imp")],
          file.path(out, "apistrat.csv"), row.names = FALSE)
des <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
ps <- postStratify(des, ~stype, pop.types)
rk <- rake(des, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
           control = list(maxit = 1000, epsilon = 1e-14))
cc <- calibrate(des, ~stype, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018))
# then a calibration to comp.imp (No 2200, Yes 3994) and the enrolment
pop <- c(`(Intercept)` = 6194, comp.impYes = 3994, enroll = 3811472)
cal <- function(d0, ...) calibrate(d0, ~comp.imp + enroll, pop, ...)
it <- list(epsilon = 1e-13, maxit = 200)
cases <- list(
  post_linear = function() cal(ps),
  post_raking_bounds = function() do.call(cal, c(list(ps, calfun = "raking", bounds = c(0.6, 1.8)), it)),
  post_logit = function() do.call(cal, c(list(ps, calfun = "logit", bounds = c(0.5, 2.2)), it)),
  post_ratio = function() calibrate(ps, ~enroll - 1, c(enroll = 3811472), variance = d$enroll),
  rake_linear = function() cal(rk),
  rake_raking = function() do.call(cal, c(list(rk, calfun = "raking"), it)),
  catcal_linear = function() cal(cc),
  catcal_logit = function() do.call(cal, c(list(cc, calfun = "logit", bounds = c(0.5, 2.2)), it))
)
write_chain_goldens(cases)
