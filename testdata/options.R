# Oracle for smaller options of sampling, each against R survey on the api
# data (testdata/api, written by testdata/estimation.R) and mu284:
#   fpcweights  weights derived from the fpc when none are given
#   normal      intervals with the normal quantile (confint's default df = Inf)
#   repdf       a replicate design whose degrees of freedom the user sets
#   ciprop      svyciprop(method = "asin" / "xlogit"); "wilson" from its formula
#   deffwor     design effects against sampling without replacement (deff = TRUE)
#   svyvar      the population variance svyvar, also by domain
# Run from the root: Rscript testdata/options.R. Numbers with
# sprintf("%.17g") in testdata/options/goldens.csv; versions.txt.
suppressPackageStartupMessages(library(survey))
data(mu284)
out <- "testdata/options"
dir.create(out, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           file.path(out, "versions.txt"))
write.csv(mu284, file.path(out, "mu284.csv"), row.names = FALSE)
strat <- read.csv("testdata/api/apistrat.csv")
clus1 <- read.csv("testdata/api/apiclus1.csv")
options(survey.lonely.psu = "fail")
rows <- list()
add <- function(case, design, stat, var, domain, est, se, lo = NA, hi = NA, extra = NA) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, design = design, stat = stat, var = var, domain = domain,
    est = g17(est), se = g17(se), lo = g17(lo), hi = g17(hi), extra = g17(extra), stringsAsFactors = FALSE)
}

# weights from the fpc
fw <- list(
  mu284 = svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu284),
  stratfpc = svydesign(id = ~1, strata = ~stype, fpc = ~fpc, data = strat),
  clus1fpc = svydesign(id = ~dnum, fpc = ~fpc, data = clus1))
fv <- c(mu284 = "y1", stratfpc = "api00", clus1fpc = "api00")
for (dn in names(fw)) {
  f <- as.formula(paste0("~", fv[[dn]]))
  m <- svymean(f, fw[[dn]]); t <- svytotal(f, fw[[dn]])
  add("fpcweights", dn, "mean", fv[[dn]], "", coef(m), SE(m))
  add("fpcweights", dn, "total", fv[[dn]], "", coef(t), SE(t))
}

# normal-quantile intervals
ds <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat)
m <- svymean(~api00, ds); ci <- confint(m)
add("normal", "strat", "mean", "api00", "", coef(m), SE(m), ci[1], ci[2])
b <- svyby(~api00, ~stype, ds, svymean, vartype = "ci")
for (i in seq_len(nrow(b))) add("normal", "strat", "mean", "api00", paste0("stype=", b$stype[i]), b$api00[i], NA, b$ci_l[i], b$ci_u[i])

# replicate design with the user's degrees of freedom
dc <- svydesign(id = ~dnum, weights = ~pw, data = clus1)
rj <- as.svrepdesign(dc, type = "JK1")
rj$degf <- 9
m <- svymean(~api00, rj); ci <- confint(m, df = degf(rj))
add("repdf", "clus1jk1", "mean", "api00", "", coef(m), SE(m), ci[1], ci[2], degf(rj))

# proportion intervals
for (lv in c(0.95, 0.9)) for (meth in c("asin", "xlogit")) {
  for (dn in c("strat", "clus1")) {
    d <- if (dn == "strat") ds else dc
    p <- svyciprop(~yes, d, method = meth, level = lv)
    ci <- attr(p, "ci")
    add("ciprop", dn, meth, "yes", as.character(lv), coef(p), SE(p), ci[1], ci[2])
  }
}

# Wilson (score) interval with the effective sample size: survey 4.1 has no
# svyciprop(method = "wilson"), so this is the formula sipas follows (Kott
# and Carr 1997), from svymean's p and SE: n* = p(1 - p)/SE^2, t on the
# design's df, centre (p + t^2/(2n*))/(1 + t^2/n*), half-width
# t sqrt(p(1 - p)/n* + t^2/(4n*^2))/(1 + t^2/n*).
for (lv in c(0.95, 0.9)) for (dn in c("strat", "clus1")) {
  d <- if (dn == "strat") ds else dc
  m <- svymean(~yes, d)
  p <- coef(m); se <- SE(m); tq <- qt(1 - (1 - lv) / 2, degf(d))
  ne <- p * (1 - p) / se^2
  ctr <- (p + tq^2 / (2 * ne)) / (1 + tq^2 / ne)
  hw <- tq * sqrt(p * (1 - p) / ne + tq^2 / (4 * ne^2)) / (1 + tq^2 / ne)
  add("ciprop", dn, "wilson", "yes", as.character(lv), p, se, ctr - hw, ctr + hw)
}

# design effects against sampling without replacement
dsf <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat)
for (dn in c("strat", "stratfpc", "clus1")) {
  d <- switch(dn, strat = ds, stratfpc = dsf, clus1 = dc)
  m <- svymean(~api00, d, deff = TRUE); t <- svytotal(~enroll, d, deff = TRUE)
  add("deffwor", dn, "mean", "api00", "", coef(m), SE(m), extra = deff(m))
  add("deffwor", dn, "total", "enroll", "", coef(t), SE(t), extra = deff(t))
}

# population variance
for (dn in c("strat", "clus1")) {
  d <- if (dn == "strat") ds else dc
  for (v in c("api00", "acs.k3")) {
    s <- svyvar(as.formula(paste0("~", v)), d, na.rm = TRUE)
    add("svyvar", dn, "var", v, "", coef(s), SE(s))
    b <- svyby(as.formula(paste0("~", v)), ~stype, d, svyvar, na.rm = TRUE)
    for (i in seq_len(nrow(b))) add("svyvar", dn, "var", v, paste0("stype=", b$stype[i]), coef(b)[i], SE(b)[i])
  }
}
write.csv(do.call(rbind, rows), file.path(out, "goldens.csv"), row.names = FALSE)
