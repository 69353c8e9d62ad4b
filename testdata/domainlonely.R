# Oracle for the domain lonely-PSU adjustment, R
# options(survey.adjust.domain.lonely = TRUE) (survey 4.1.1): a stratum with
# several PSUs of which only one holds rows of the domain is treated as
# lonely for that domain ("adjust": its PSU total, uncentred, times
# (1 − f) n/(n − 1); "average": left out and the domain's variance scaled
# by strata/non-lonely strata). Domains as svyby (a subset), no missing
# values. Run from the repository root after testdata/quantile.R:
#
#   Rscript testdata/domainlonely.R
#
# Writes testdata/domainlonely/{sipas.csv,goldens.csv,versions.txt}.
suppressPackageStartupMessages(library(survey))
out <- "testdata/domainlonely"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
sip <- read.csv("testdata/quantile/sipas.csv", stringsAsFactors = FALSE)
sip <- sip[, c("province", "commune", "w", "field", "visits")]
# a rare service: in P01..P04 in one commune only (domain-lonely strata), in
# P05..P08 in two communes, absent from the others
pn <- as.integer(substr(sip$province, 2, 3)); cn <- as.integer(substr(sip$commune, 5, 5))
set.seed(7)
sip$rare <- ifelse((pn <= 4 & cn == 2) | (pn >= 5 & pn <= 8 & cn <= 2), runif(nrow(sip)) < 0.5, FALSE)
sip$rare <- ifelse(sip$rare, "yes", "no")
sip$sat <- as.integer(sip$visits <= 2)
sip$fpc <- 40
write.csv(sip, file.path(out, "sipas.csv"), row.names = FALSE)

rows <- list()
for (lp in c("adjust", "average", "remove")) for (fpc in c(FALSE, TRUE)) {
  options(survey.lonely.psu = lp, survey.adjust.domain.lonely = TRUE)
  d <- if (fpc) svydesign(id = ~commune, strata = ~province, weights = ~w, fpc = ~fpc, data = sip)
       else svydesign(id = ~commune, strata = ~province, weights = ~w, data = sip)
  dn <- paste0(lp, if (fpc) "_fpc" else "")
  for (stat in c("mean", "total")) {
    fn <- if (stat == "mean") svymean else svytotal
    b <- svyby(~visits + sat, ~rare, d, fn)
    for (v in c("visits", "sat")) for (i in seq_len(nrow(b))) {
      rows[[length(rows) + 1]] <- data.frame(design = dn, stat = stat, var = v, domain = b$rare[i],
        est = g17(b[[v]][i]), se = g17(b[[paste0("se.", v)]][i]))
    }
  }
  b <- svyby(~visits, ~rare, d, svyratio, denominator = ~sat)
  for (i in seq_len(nrow(b))) rows[[length(rows) + 1]] <- data.frame(design = dn, stat = "ratio",
    var = "visits/sat", domain = b$rare[i], est = g17(coef(b)[i]), se = g17(SE(b)[i]))
}
write.csv(do.call(rbind, rows), file.path(out, "goldens.csv"), row.names = FALSE)
