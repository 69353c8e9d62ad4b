# Oracle for the likelihood proportion interval, R survey 4.1
# svyciprop(method = "likelihood"): the intercept-only quasibinomial svyglm
# and confint(method = "likelihood"), the spline-interpolated profile of its
# deviance. Cases on the api data (testdata/api, written by
# testdata/estimation.R) with derived 0/1 columns:
#   half  api00 > 650 (a share near 0.5)   rare  api00 > 880 (near 0.02)
#   common api00 > 420 / 450 (near 0.98)   frac  api00/1000 (a mean of [0, 1] values)
#   halfna half with every 7th row missing
# Designs: strat (stratified, fpc), stratclus (strata, clusters nested in
# strata, PSU fpc), clus1 (one-stage cluster, fpc), their domains by stype
# (svyby: each domain's own df), levels 0.95 and 0.9, and a JK1 replicate
# design of clus1 (where R gives NA: see docs/methodology.md).
# halfna under unequal weights: R's rescaling of the weights counts the rows
# with a missing value, so the golden is R on the rows with a value
# (subset(!is.na)) with the full design's df, which is sipas's rule.
# Run from the root: Rscript testdata/cilik.R. Numbers with sprintf("%.17g")
# in testdata/cilik/goldens.csv; the data in testdata/cilik/*.csv.
suppressPackageStartupMessages(library(survey))
out <- "testdata/cilik"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
derive <- function(d, common) {
  d$half <- as.numeric(d$api00 > 650)
  d$rare <- as.numeric(d$api00 > 880)
  d$common <- as.numeric(d$api00 > common)
  d$frac <- d$api00 / 1000
  d$halfna <- ifelse(seq_len(nrow(d)) %% 7 == 0, NA, d$half)
  d
}
strat <- derive(read.csv("testdata/api/apistrat.csv"), 420)
npsu <- tapply(strat$dnum, strat$stype, function(x) length(unique(x)))
strat$psufpc <- 4 * as.numeric(npsu[strat$stype])
clus1 <- derive(read.csv("testdata/api/apiclus1.csv"), 450)
keep <- c("snum", "dnum", "stype", "pw", "fpc", "psufpc", "api00", "half", "rare", "common", "frac", "halfna")
write.csv(strat[, keep], file.path(out, "apistrat.csv"), row.names = FALSE, na = "")
write.csv(clus1[, intersect(keep, names(clus1))], file.path(out, "apiclus1.csv"), row.names = FALSE, na = "")
options(survey.lonely.psu = "fail")
designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat),
  stratclus = svydesign(id = ~dnum, strata = ~stype, weights = ~pw, fpc = ~psufpc, nest = TRUE, data = strat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1))
designs$clus1jk1 <- as.svrepdesign(designs$clus1, type = "JK1")
rows <- list()
add <- function(design, var, domain, level, p, lo, hi, df) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, var = var, domain = domain, level = level,
    est = g17(p), se = g17(sqrt(attr(p, "var"))), lo = g17(lo), hi = g17(hi), df = df, stringsAsFactors = FALSE)
}
lik <- function(f, d, level, ...) svyciprop(f, d, method = "likelihood", level = level, ...)
for (dn in names(designs)) {
  d <- designs[[dn]]
  for (v in c("half", "rare", "common", "frac")) for (lv in c(0.95, 0.9)) {
    f <- as.formula(paste0("~", v))
    p <- lik(f, d, lv); ci <- attr(p, "ci")
    add(dn, v, "", lv, p, ci[1], ci[2], degf(d))
    if (dn == "clus1jk1") next
    # domains: svyby subsets the design; each domain's interval on its own df
    for (s in c("E", "H", "M")) {
      sd <- subset(d, stype == s)
      # a domain where the share is 0 or 1 has no interval in R (an error);
      # sipas gives those the boundary interval
      p <- tryCatch(lik(f, sd, lv), error = function(e) NULL)
      if (is.null(p)) next
      ci <- attr(p, "ci")
      add(dn, v, paste0("stype=", s), lv, p, ci[1], ci[2], degf(sd))
    }
  }
  if (dn != "clus1jk1") {
    p <- lik(~halfna, subset(d, !is.na(halfna)), 0.95, df = degf(d)); ci <- attr(p, "ci")
    add(dn, "halfna", "", 0.95, p, ci[1], ci[2], degf(d))
  }
}
# the same intervals through svyby, as a check that the subsets above are svyby's
b <- svyby(~half, ~stype, designs$clus1, svyciprop, method = "likelihood", vartype = "ci")
chk <- do.call(rbind, rows)
for (s in c("E", "H", "M")) {
  r <- chk[chk$design == "clus1" & chk$var == "half" & chk$domain == paste0("stype=", s) & chk$level == 0.95, ]
  stopifnot(isTRUE(all.equal(as.numeric(r$lo), b$ci_l[b$stype == s], tolerance = 1e-12)))
}
write.csv(chk, file.path(out, "goldens.csv"), row.names = FALSE)
