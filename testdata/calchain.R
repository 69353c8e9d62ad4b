# Oracle for steps after a calibration to a numeric variable (R survey
# 4.1.1): postStratify, rake and a calibration to category margins applied
# to calibrate(des, ~comp.imp + enroll) on apistrat (stratified with fpc;
# testdata/calpre/apistrat.csv, written by testdata/calpre.R), alone and
# chained. The linearized variance of such a design removes each step's
# projection in the order the steps were applied (svyrecvar's postStrata):
# the calibration's first, the later steps' then. Run from the root:
# Rscript testdata/calchain.R. Writes testdata/calchain/{weights,
# estimates}.csv (sprintf("%.17g")) and versions.txt.
out <- "testdata/calchain"
source("testdata/golden_setup.R")
d <- read.csv("testdata/calpre/apistrat.csv")
des <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop <- c(`(Intercept)` = 6194, comp.impYes = 3994, enroll = 3811472)
cal <- function(d0, ...) calibrate(d0, ~comp.imp + enroll, pop, ...)
it <- list(epsilon = 1e-13, maxit = 200)
ctl <- list(maxit = 1000, epsilon = 1e-14)
post <- function(d0) postStratify(d0, ~stype, pop.types)
rk <- function(d0) rake(d0, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = ctl)
catcal <- function(d0) calibrate(d0, ~sch.wide, c(`(Intercept)` = 6194, sch.wideYes = 5122))
cases <- list(
  linear_post = function() post(cal(des)),
  linear_rake = function() rk(cal(des)),
  raking_rake = function() rk(do.call(calibrate, c(list(des, ~enroll - 1, c(enroll = 3811472), calfun = "raking"), it))),
  logit_post = function() post(do.call(cal, c(list(des, calfun = "logit", bounds = c(0.5, 2.2)), it))),
  linear_catcal = function() catcal(cal(des)),
  linear_post_rake = function() rk(post(cal(des))),
  rake_linear_rake = function() rk(cal(rk(des))),
  post_linear_post = function() post(cal(post(des)))
)
write_chain_goldens(cases)
