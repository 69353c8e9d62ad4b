# Golden files for the calibration-aware linearized variance in domains
# (sampling.DesignSpec.AdjustInfluence with weighting.Result.AdjustInfluence):
# R survey's svyby after postStratify/rake/calibrate keeps every row (weights
# zero outside the domain) and residualizes the domain's influence values
# over the whole sample, and svymean's deff = "replace" uses svyvar under the
# calibrated weights.
#
#   cd testdata && Rscript weighting_domains.R
#
# Writes testdata/weighting/se_domain.csv:
#   data, case, stat, variable, by, domain, estimate, se, deff
suppressMessages(library(survey))
fmt <- function(x) sprintf("%.17g", x)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop.cal <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, enroll = 3811472)
bounds <- list(apistrat = c(0.8, 1.3), apiclus1 = c(0.85, 1.7))
out <- NULL
for (nm in c("apistrat", "apiclus1")) {
  d <- read.csv(file.path("api", paste0(nm, ".csv")), stringsAsFactors = FALSE)
  des <- if (nm == "apistrat") {
    svydesign(id = ~1, strata = ~stype, weights = ~pw, data = d, fpc = ~fpc)
  } else {
    svydesign(id = ~dnum, weights = ~pw, data = d, fpc = ~fpc)
  }
  designs <- list(
    ps = postStratify(des, ~stype, pop.types),
    rake = rake(des, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                control = list(maxit = 1000, epsilon = 1e-14)),
    cal_linear = calibrate(des, ~stype + enroll, pop.cal, maxit = 200, epsilon = 1e-13),
    cal_logit = calibrate(des, ~stype + enroll, pop.cal, maxit = 200, epsilon = 1e-13,
                          calfun = "logit", bounds = bounds[[nm]]))
  for (k in names(designs)) {
    dk <- designs[[k]]
    m <- svymean(~api00, dk, deff = "replace")
    out <- rbind(out, data.frame(data = nm, case = k, stat = "mean", variable = "api00", by = "", domain = "",
                                 estimate = fmt(coef(m)), se = fmt(SE(m)), deff = fmt(deff(m))))
    for (by in c("sch.wide", "stype")) {
      f <- as.formula(paste0("~", by))
      mb <- svyby(~api00, f, dk, svymean, deff = "replace")
      tb <- svyby(~enroll, f, dk, svytotal, deff = "replace")
      out <- rbind(out,
        data.frame(data = nm, case = k, stat = "mean", variable = "api00", by = by, domain = as.character(mb[[by]]),
                   estimate = fmt(coef(mb)), se = fmt(SE(mb)), deff = fmt(mb[[ncol(mb)]])),
        data.frame(data = nm, case = k, stat = "total", variable = "enroll", by = by, domain = as.character(tb[[by]]),
                   estimate = fmt(coef(tb)), se = fmt(SE(tb)), deff = fmt(tb[[ncol(tb)]])))
    }
  }
}
write.csv(out, file.path("weighting", "se_domain.csv"), row.names = FALSE, quote = FALSE)
writeLines(c(R.version.string, paste("survey", packageVersion("survey"))), file.path("weighting", "se_domain_versions.txt"))
