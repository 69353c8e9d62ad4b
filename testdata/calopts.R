# Oracle for calibration options (R survey 4.1.1 calibrate): a working-model
# variance (variance =, per row: the ratio estimator as a calibration),
# bounds on the weights themselves (bounds.const = TRUE) and per-row bounds
# (bounds = list(lower =, upper =)). The weights and the linearized SEs on
# apistrat (testdata/api, written by testdata/estimation.R), stratified with
# fpc. Run from the root: Rscript testdata/calopts.R. Writes
# testdata/calopts/{weights,estimates}.csv (sprintf("%.17g")) and
# versions.txt.
suppressPackageStartupMessages(library(survey))
out <- "testdata/calopts"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
d <- read.csv("testdata/api/apistrat.csv")
# per-row bounds on g: wider for the high schools
d$glo <- ifelse(d$stype == "H", 0.5, 0.8)
d$ghi <- ifelse(d$stype == "H", 2.5, 1.4)
write.csv(d[, c("snum", "stype", "pw", "fpc", "api00", "enroll", "glo", "ghi")], file.path(out, "apistrat.csv"), row.names = FALSE)
des <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
cases <- list(
  ratio = function() calibrate(des, ~enroll - 1, c(enroll = 3811472), variance = d$enroll),
  var_linear = function() calibrate(des, ~stype + enroll, pop, variance = d$enroll),
  var_bounded = function() calibrate(des, ~stype + enroll, pop, variance = d$enroll, bounds = c(0.7, 1.6),
                                     epsilon = 1e-13, maxit = 200),
  var_raking = function() calibrate(des, ~stype + enroll, pop, variance = d$enroll, calfun = "raking",
                                    epsilon = 1e-13, maxit = 200),
  bconst_linear = function() calibrate(des, ~stype + enroll, pop, bounds = c(15, 60), bounds.const = TRUE,
                                       epsilon = 1e-13, maxit = 200),
  bconst_raking = function() calibrate(des, ~stype + enroll, pop, bounds = c(15, 60), bounds.const = TRUE,
                                       calfun = "raking", epsilon = 1e-13, maxit = 200),
  rowbounds_logit = function() calibrate(des, ~stype + enroll, pop, bounds = list(lower = d$glo, upper = d$ghi),
                                         calfun = "logit", epsilon = 1e-13, maxit = 200)
)
wrows <- list(); erows <- list()
for (key in names(cases)) {
  cd <- cases[[key]]()
  wrows[[key]] <- data.frame(case = key, row = seq_len(nrow(d)), weight = g17(weights(cd)))
  for (v in c("api00", "enroll")) {
    m <- svymean(as.formula(paste0("~", v)), cd, na.rm = TRUE)
    t <- svytotal(as.formula(paste0("~", v)), cd, na.rm = TRUE)
    erows[[length(erows) + 1]] <- data.frame(case = key, stat = c("mean", "total"), var = v,
      est = g17(c(coef(m), coef(t))), se = g17(c(SE(m), SE(t))))
  }
}
write.csv(do.call(rbind, wrows), file.path(out, "weights.csv"), row.names = FALSE)
write.csv(do.call(rbind, erows), file.path(out, "estimates.csv"), row.names = FALSE)
