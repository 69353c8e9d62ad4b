# Oracle for steps after a calibration to a numeric variable (R survey
# 4.1.1): postStratify, rake and a calibration to category margins applied
# to calibrate(des, ~comp.imp + enroll) on apistrat (stratified with fpc;
# testdata/calpre/apistrat.csv, written by testdata/calpre.R), alone and
# chained. The linearized variance of such a design removes each step's
# projection in the order the steps were applied (svyrecvar's postStrata):
# the calibration's first, the later steps' then. Run from the root:
# Rscript testdata/calchain.R. Writes testdata/calchain/{weights,
# estimates}.csv (sprintf("%.17g")) and versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/calchain"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
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
wrows <- list(); erows <- list()
for (key in names(cases)) {
  cd <- cases[[key]]()
  wrows[[key]] <- data.frame(case = key, row = seq_len(nrow(cd$variables)), weight = g17(weights(cd)))
  for (v in c("api00", "enroll")) {
    m <- svymean(as.formula(paste0("~", v)), cd)
    t <- svytotal(as.formula(paste0("~", v)), cd)
    r <- svyby(as.formula(paste0("~", v)), ~sch.wide, cd, svymean)
    erows[[length(erows) + 1]] <- data.frame(case = key, stat = c("mean", "total", "mean", "mean"), var = v,
      domain = c("", "", paste0("sch.wide=", r$sch.wide)),
      est = g17(c(coef(m), coef(t), coef(r))), se = g17(c(SE(m), SE(t), SE(r))))
  }
}
write.csv(do.call(rbind, wrows), file.path(out, "weights.csv"), row.names = FALSE)
write.csv(do.call(rbind, erows), file.path(out, "estimates.csv"), row.names = FALSE)
