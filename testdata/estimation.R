# Oracle for sampling's design-based estimation (issue 3): R survey on the
# api data. Run from the repository root:
#
#   Rscript testdata/estimation.R
#
# Writes testdata/api/{apistrat,apiclus1,apiclus2}.csv (the data, with a few
# derived design columns) and testdata/estimation/*.csv (goldens, numbers
# with sprintf("%.17g")), plus testdata/estimation/versions.txt.
suppressPackageStartupMessages(library(survey))
data(api)
dir.create("testdata/api", showWarnings = FALSE, recursive = TRUE)
dir.create("testdata/estimation", showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))

cols <- c("snum", "dnum", "stype", "pw", "fpc", "api00", "api99", "enroll",
          "acs.k3", "sch.wide", "comp.imp", "avg.ed")
strat <- apistrat[, cols]
strat$yes <- as.integer(strat$sch.wide == "Yes")
# two pseudo-PSUs per stratum (for BRR / Fay): alternate rows in a stratum
strat$pair <- paste0(strat$stype, ave(seq_len(nrow(strat)), strat$stype, FUN = function(i) (seq_along(i) - 1) %% 2 + 1))
clus1 <- apiclus1[, cols]
clus1$yes <- as.integer(clus1$sch.wide == "Yes")
# strata over districts with one single-district stratum (district 413) for
# the lonely-PSU modes
clus1$lstrat <- ifelse(clus1$dnum == 413, "C", ifelse(clus1$dnum < 450, "A", "B"))
clus2 <- apiclus2[, c("snum", "dnum", "stype", "pw", "fpc1", "fpc2", "api00", "api99", "enroll", "acs.k3", "sch.wide", "comp.imp", "avg.ed")]
clus2$fpc2 <- as.vector(clus2$fpc2)
clus2$yes <- as.integer(clus2$sch.wide == "Yes")
wcsv <- function(d, f) write.csv(d, f, row.names = FALSE, na = "")
wcsv(strat, "testdata/api/apistrat.csv")
wcsv(clus1, "testdata/api/apiclus1.csv")
wcsv(clus2, "testdata/api/apiclus2.csv")

writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           "testdata/estimation/versions.txt")

# ---- linearization designs ----
options(survey.ultimate.cluster = TRUE, survey.lonely.psu = "fail")
designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat),
  stratfpc = svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = strat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, data = clus1),
  clus1fpc = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1),
  # two-stage, analysed as ultimate cluster (first-stage fpc only)
  clus2 = svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = clus2),
  unw = svydesign(id = ~1, data = strat)
)

rows <- list()
add <- function(design, stat, var, by, dom, est, se, deff) {
  rows[[length(rows) + 1]] <<- data.frame(design = design, stat = stat, var = var, by = by,
    domain = dom, est = g17(est), se = g17(se), deff = g17(deff), stringsAsFactors = FALSE)
}
one <- function(dn, stat, var, obj) {
  add(dn, stat, var, "", "", coef(obj)[1], SE(obj)[1], deff(obj)[1])
}
byrows <- function(dn, stat, var, byname, obj) {
  est <- coef(obj); se <- SE(obj); df <- obj[[grep("^DEff", names(obj))[1]]]
  for (i in seq_along(est)) add(dn, stat, var, byname, names(est)[i], est[i], se[i], df[i])
}
for (dn in names(designs)) {
  d <- designs[[dn]]
  for (v in c("api00", "api99", "enroll", "acs.k3", "avg.ed")) {
    f <- as.formula(paste0("~", v))
    one(dn, "mean", v, svymean(f, d, na.rm = TRUE, deff = "replace"))
    one(dn, "total", v, svytotal(f, d, na.rm = TRUE, deff = "replace"))
    for (b in c("stype", "sch.wide", "comp.imp")) {
      bf <- as.formula(paste0("~", b))
      byrows(dn, "mean", v, b, svyby(f, bf, d, svymean, na.rm = TRUE, deff = "replace"))
      byrows(dn, "total", v, b, svyby(f, bf, d, svytotal, na.rm = TRUE, deff = "replace"))
    }
  }
  r <- svyratio(~api00, ~api99, d, deff = "replace")
  add(dn, "ratio", "api00/api99", "", "", coef(r)[1], SE(r)[1], deff(r)[1])
  r <- svyratio(~acs.k3, ~enroll, d, na.rm = TRUE, deff = "replace")
  add(dn, "ratio", "acs.k3/enroll", "", "", coef(r)[1], SE(r)[1], deff(r)[1])
  for (b in c("stype", "sch.wide")) {
    rb <- svyby(~api00, as.formula(paste0("~", b)), d, svyratio, denominator = ~api99, deff = "replace")
    est <- coef(rb); se <- SE(rb); df <- rb[[grep("^DEff", names(rb))[1]]]
    lv <- sort(unique(as.character(d$variables[[b]])))
    for (i in seq_along(est)) add(dn, "ratio", "api00/api99", b, lv[i], est[i], se[i], df[i])
  }
  # two-column domains
  byrows(dn, "mean", "api00", "stype+sch.wide", svyby(~api00, ~stype + sch.wide, d, svymean, deff = "replace"))
}
# lonely-PSU modes on apiclus1 with a single-district stratum
for (mode in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = mode)
  d <- svydesign(id = ~dnum, strata = ~lstrat, weights = ~pw, data = clus1)
  dn <- paste0("lonely_", mode)
  for (v in c("api00", "enroll", "acs.k3")) {
    f <- as.formula(paste0("~", v))
    one(dn, "mean", v, svymean(f, d, na.rm = TRUE, deff = "replace"))
    one(dn, "total", v, svytotal(f, d, na.rm = TRUE, deff = "replace"))
    byrows(dn, "mean", v, "stype", svyby(f, ~stype, d, svymean, na.rm = TRUE, deff = "replace"))
  }
  r <- svyratio(~api00, ~api99, d, deff = "replace")
  add(dn, "ratio", "api00/api99", "", "", coef(r)[1], SE(r)[1], deff(r)[1])
}
options(survey.lonely.psu = "fail")
lin <- do.call(rbind, rows)
write.csv(lin, "testdata/estimation/linearization.csv", row.names = FALSE, quote = TRUE)

# ---- covariance of two means (svymean on complete cases of both) ----
cv <- vcov(svymean(~api00 + api99, designs$strat))
writeLines(g17(as.vector(cv)), "testdata/estimation/cov_strat_api00_api99.txt")

# ---- confidence intervals for a share (svyciprop) ----
rows <- list()
for (dn in c("strat", "clus1", "clus2", "stratfpc")) {
  d <- designs[[dn]]
  for (m in c("logit", "beta")) {
    ci <- svyciprop(~yes, d, method = m)
    for (lev in c(0.95, 0.9)) {
      ci <- svyciprop(~yes, d, method = m, level = lev)
      rows[[length(rows) + 1]] <- data.frame(design = dn, method = m, level = lev,
        est = g17(coef(ci)), se = g17(SE(ci)), n = nrow(d), df = as.integer(degf(d)),
        lo = g17(attr(ci, "ci")[1]), hi = g17(attr(ci, "ci")[2]))
    }
  }
  m <- svymean(~api00, d)
  for (lev in c(0.95, 0.9)) {
    ci <- confint(m, level = lev, df = degf(d))
    rows[[length(rows) + 1]] <- data.frame(design = dn, method = "wald", level = lev,
      est = g17(coef(m)), se = g17(SE(m)), n = nrow(d), df = as.integer(degf(d)),
      lo = g17(ci[1]), hi = g17(ci[2]))
  }
}
write.csv(do.call(rbind, rows), "testdata/estimation/ci.csv", row.names = FALSE)

# ---- degrees of freedom ----
writeLines(paste(names(designs), sapply(designs, degf)), "testdata/estimation/degf.txt")

# ---- replicate designs ----
# The replicate weights R builds are exported next to the results, so the
# Go side can compare variances given the same weights (bootstrap is
# random) and, for the deterministic JK1/JKn/BRR, its own weights too.
set.seed(20261123)
reps <- list(
  jk1 = as.svrepdesign(designs$clus1, type = "JK1"),
  jk1fpc = as.svrepdesign(designs$clus1fpc, type = "JK1"),
  jkn = as.svrepdesign(designs$strat, type = "JKn"),
  jknfpc = as.svrepdesign(designs$stratfpc, type = "JKn"),
  boot = as.svrepdesign(designs$clus1, type = "bootstrap", replicates = 40),
  bootstrat = as.svrepdesign(svydesign(id = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = strat), type = "bootstrap", replicates = 30),
  subboot = as.svrepdesign(svydesign(id = ~dnum, strata = ~stype, weights = ~pw, nest = TRUE, data = strat), type = "subbootstrap", replicates = 30),
  brr = as.svrepdesign(svydesign(id = ~pair, strata = ~stype, weights = ~pw, data = strat), type = "BRR"),
  fay = as.svrepdesign(svydesign(id = ~pair, strata = ~stype, weights = ~pw, data = strat), type = "Fay", fay.rho = 0.3)
)
# JKn with a single-PSU stratum under each lonely-PSU mode (R jknweights)
for (mode in c("remove", "certainty", "adjust", "average")) {
  options(survey.lonely.psu = mode)
  reps[[paste0("jknlonely_", mode)]] <- as.svrepdesign(svydesign(id = ~dnum, strata = ~lstrat, weights = ~pw, data = clus1), type = "JKn")
}
options(survey.lonely.psu = "fail")
rows <- list()
for (rn in names(reps)) {
  for (mse in c(TRUE, FALSE)) {
    rd <- reps[[rn]]
    rd$mse <- mse
    aw <- weights(rd, "analysis")
    colnames(aw) <- paste0("rw", seq_len(ncol(aw)))
    if (mse) {
      write.csv(data.frame(apply(aw, 2, g17)), paste0("testdata/estimation/repw_", rn, ".csv"), row.names = FALSE, quote = FALSE)
      writeLines(c(g17(rd$scale), paste(g17(rd$rscales), collapse = " "), degf(rd)),
                 paste0("testdata/estimation/repw_", rn, ".txt"))
    }
    for (v in c("api00", "enroll", "acs.k3")) {
      f <- as.formula(paste0("~", v))
      m <- svymean(f, rd, na.rm = TRUE, deff = "replace")
      rows[[length(rows) + 1]] <- data.frame(design = rn, mse = mse, stat = "mean", var = v, by = "", domain = "", est = g17(coef(m)), se = g17(SE(m)), deff = g17(deff(m)))
      m <- svytotal(f, rd, na.rm = TRUE)
      rows[[length(rows) + 1]] <- data.frame(design = rn, mse = mse, stat = "total", var = v, by = "", domain = "", est = g17(coef(m)), se = g17(SE(m)), deff = "")
      b <- svyby(f, ~sch.wide, rd, svymean, na.rm = TRUE, deff = "replace")
      bd <- b[[grep("^DEff", names(b))[1]]]
      for (i in seq_len(nrow(b))) rows[[length(rows) + 1]] <- data.frame(design = rn, mse = mse, stat = "mean", var = v, by = "sch.wide", domain = as.character(b[i, 1]), est = g17(coef(b)[i]), se = g17(SE(b)[i]), deff = g17(bd[i]))
    }
    r <- svyratio(~api00, ~api99, rd)
    rows[[length(rows) + 1]] <- data.frame(design = rn, mse = mse, stat = "ratio", var = "api00/api99", by = "", domain = "", est = g17(coef(r)), se = g17(SE(r)), deff = "")
  }
}
write.csv(do.call(rbind, rows), "testdata/estimation/replicates.csv", row.names = FALSE)
