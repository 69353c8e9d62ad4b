# Oracle for a calibration to a numeric variable after a class-cell step
# (R survey 4.1.1): calibrate(postStratify(des)), calibrate(rake(des)) and
# calibrate(calibrate(des, ~stype)) on apistrat (stratified with fpc) of
# testdata/api, written by testdata/estimation.R. The linearized variance
# of such a design removes the earlier step's projection first and the
# calibration's then (svyrecvar's postStrata in order). Run from the root:
# Rscript testdata/calpre.R. Writes testdata/calpre/{apistrat,weights,
# estimates}.csv (sprintf("%.17g")) and versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/calpre"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
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
