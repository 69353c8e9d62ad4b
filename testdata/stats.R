# Oracle for the statistics where sipas follows R survey beyond plain
# estimation: confidence intervals of shares under replicate weights, the
# boundary rule, the Korn–Graubard n, the lonely-PSU "adjust" rule for
# totals (survey >= 4.2) and contrasts with their covariance (quantiles:
# testdata/quantile.R).
# Run from the repository root, after testdata/estimation.R (it reads the api
# data that script writes, so R and Go see the same numbers):
#
#   Rscript testdata/stats.R
#
# Writes testdata/stats/*.csv (numbers with sprintf("%.17g")) and
# testdata/stats/versions.txt. STATS_SKIP_INDEX=1 skips the slow index
# section (about a minute of replicate glm fits) and keeps its golden.
suppressPackageStartupMessages(library(survey))
dir.create("testdata/stats", showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) unname(ifelse(is.na(x), "NA", sprintf("%.17g", unname(x))))
wcsv <- function(d, f) write.csv(d, file.path("testdata/stats", f), row.names = FALSE)
writeLines(c(R.version.string, paste("survey", as.character(packageVersion("survey")))),
           "testdata/stats/versions.txt")
options(survey.ultimate.cluster = TRUE, survey.lonely.psu = "fail")

strat <- read.csv("testdata/api/apistrat.csv")
clus1 <- read.csv("testdata/api/apiclus1.csv")
# a 0/1 variable with missing values (every 7th row), for the Korn–Graubard n
strat$yesna <- ifelse(seq_len(nrow(strat)) %% 7 == 0, NA, strat$yes)
clus1$yesna <- ifelse(seq_len(nrow(clus1)) %% 7 == 0, NA, clus1$yes)
write.csv(strat, "testdata/stats/apistrat.csv", row.names = FALSE, na = "")
write.csv(clus1, "testdata/stats/apiclus1.csv", row.names = FALSE, na = "")
designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = strat),
  clus1 = svydesign(id = ~dnum, weights = ~pw, data = clus1)
)

# ---- 1. logit intervals under replicate weights ----
# svyciprop(method = "logit") fits the intercept-only quasibinomial svyglm;
# on a replicate design svyglm refits it per replicate, so the interval is
# logit(p) ± t_df · sqrt(svrVar(logit(p_r))). The bootstrap uses the
# replicate weights estimation.R exported (type "other" with its scales).
rd <- list(
  jk1 = as.svrepdesign(designs$clus1, type = "JK1"),
  jkn = as.svrepdesign(designs$strat, type = "JKn")
)
bw <- read.csv("testdata/estimation/repw_boot.csv")
bm <- readLines("testdata/estimation/repw_boot.txt")
rd$boot <- svrepdesign(data = clus1, repweights = bw, weights = ~pw, type = "other",
  combined.weights = TRUE, scale = as.numeric(bm[1]),
  rscales = as.numeric(strsplit(bm[2], " ")[[1]]))
rows <- list()
for (rn in names(rd)) {
  for (mse in c(TRUE, FALSE)) {
    d <- rd[[rn]]
    d$mse <- mse
    df <- degf(d)
    for (lev in c(0.95, 0.9)) {
      ci <- svyciprop(~yes, d, method = "logit", level = lev, df = df)
      rows[[length(rows) + 1]] <- data.frame(design = rn, mse = mse, level = lev, by = "", domain = "",
        est = g17(coef(ci)), lo = g17(attr(ci, "ci")[1]), hi = g17(attr(ci, "ci")[2]), df = df)
      b <- svyby(~yes, ~stype, d, svyciprop, method = "logit", level = lev, df = df, vartype = "ci")
      cb <- cbind(b$ci_l, b$ci_u)
      for (i in seq_len(nrow(b))) rows[[length(rows) + 1]] <- data.frame(design = rn, mse = mse, level = lev,
        by = "stype", domain = as.character(b$stype[i]), est = g17(coef(b)[i]),
        lo = g17(cb[i, 1]), hi = g17(cb[i, 2]), df = df)
    }
  }
}
wcsv(do.call(rbind, rows), "logit_replicates.csv")

# ---- 2. a ratio of 1 with SE 0 is not a share: confint gives [1, 1] ----
r <- svyratio(~api00, ~api00, designs$strat)
ci <- confint(r, df = degf(designs$strat))
wcsv(data.frame(design = "strat", num = "api00", den = "api00", est = g17(coef(r)),
  se = g17(SE(r)), lo = g17(ci[1]), hi = g17(ci[2])), "ratio_one.csv")

# ---- 3. Korn–Graubard (beta) n ----
# R's svyciprop(method = "beta") scales the effective sample size by
# (qt(α/2, nrow(design) − 1)/qt(α/2, degf(design)))², with nrow(design)
# counting the rows where the variable is missing and degf that of the
# design (of the domain, within svyby). sipas uses the rows with a value and
# the interval's own degrees of freedom (the design's). rule "valid" is that
# rule, written here from svymean's estimate and SE and the formula;
# rule "nrow" is R's svyciprop itself, to show where they part.
kg <- function(p, v, n, df, level) {
  alpha <- 1 - level
  ne <- p * (1 - p) / v * (qt(alpha / 2, n - 1) / qt(alpha / 2, df))^2
  c(qbeta(alpha / 2, ne * p, ne * (1 - p) + 1), qbeta(1 - alpha / 2, ne * p + 1, ne * (1 - p)))
}
rows <- list()
for (dn in names(designs)) {
  d <- designs[[dn]]
  df <- degf(d)
  for (lev in c(0.95, 0.9)) {
    m <- svymean(~yesna, d, na.rm = TRUE)
    n <- sum(!is.na(d$variables$yesna))
    ci <- kg(coef(m), vcov(m)[1], n, df, lev)
    rows[[length(rows) + 1]] <- data.frame(design = dn, rule = "valid", level = lev, by = "", domain = "",
      n = n, est = g17(coef(m)), lo = g17(ci[1]), hi = g17(ci[2]))
    r <- svyciprop(~yesna, d, method = "beta", level = lev, na.rm = TRUE)
    rows[[length(rows) + 1]] <- data.frame(design = dn, rule = "nrow", level = lev, by = "", domain = "",
      n = nrow(d), est = g17(coef(r)), lo = g17(attr(r, "ci")[1]), hi = g17(attr(r, "ci")[2]))
    b <- svyby(~yesna, ~stype, d, svymean, na.rm = TRUE)
    for (i in seq_len(nrow(b))) {
      dom <- as.character(b$stype[i])
      n <- sum(!is.na(d$variables$yesna) & d$variables$stype == dom)
      ci <- kg(coef(b)[i], SE(b)[i]^2, n, df, lev)
      rows[[length(rows) + 1]] <- data.frame(design = dn, rule = "valid", level = lev, by = "stype", domain = dom,
        n = n, est = g17(coef(b)[i]), lo = g17(ci[1]), hi = g17(ci[2]))
    }
  }
}
wcsv(do.call(rbind, rows), "beta_n.csv")

# ---- 4. lonely PSU "adjust" for totals (survey >= 4.2) ----
# Debian's survey is 4.1, which centres a lonely PSU's total at 0. Survey
# 4.2 and later (onestage in R/multistage.R; tests/lonely.psu.R) centre it
# at the mean PSU total over all strata, colSums(x)/sum(nPSU). The
# variances below implement that rule BY HAND (not with survey's own
# code) for the rows R keeps (a svyby domain and na.rm drop the other rows;
# sum(nPSU) runs over the strata left), with the with-replacement formula
# for the other strata.
adjust_var <- function(z, strata, psu, nPSU) {
  # z: influence values of the kept rows; nPSU: the design's n_h per row
  key <- paste(strata, psu, sep = "\r")
  t <- tapply(z, key, sum)
  ts <- sapply(strsplit(names(t), "\r"), `[`, 1)
  nh <- tapply(nPSU, strata, `[`, 1)
  centre <- sum(z) / sum(nh)
  v <- 0
  for (h in names(nh)) {
    th <- t[ts == h]
    n <- nh[[h]]
    if (n > 1) {
      th <- c(th, rep(0, n - length(th)))
      v <- v + n / (n - 1) * sum((th - mean(th))^2)
    } else {
      v <- v + (th - centre)^2
    }
  }
  v
}
# check the hand formula against survey 4.5's own test (tests/lonely.psu.R)
sing <- data.frame(Stratum = c(1, 1, 2, 2, 3), PSU = c(1, 2, 3, 4, 5),
  Design_Weight = c(10.5, 10.5, 20, 20, 15), Age = c(30.5, 40.5, 35, 52, 44))
write.csv(sing, "testdata/stats/singleton.csv", row.names = FALSE)
vs <- adjust_var(sing$Design_Weight * sing$Age, sing$Stratum, sing$PSU, c(2, 2, 2, 2, 1))
stopifnot(abs(vs - 127579.8) < 1e-6 * 127579.8)
rows <- list(data.frame(data = "singleton", design = "singleton", stat = "total", var = "Age", by = "", domain = "",
  est = g17(sum(sing$Design_Weight * sing$Age)), se = g17(sqrt(vs))))
dl <- svydesign(id = ~dnum, strata = ~lstrat, weights = ~pw, data = clus1)
nPSU <- ave(clus1$dnum, clus1$lstrat, FUN = function(x) length(unique(x)))
for (v in c("api00", "enroll", "acs.k3")) {
  for (by in c("", "stype")) {
    doms <- if (by == "") "" else sort(unique(clus1$stype))
    for (dom in doms) {
      keep <- !is.na(clus1[[v]]) & (by == "" | clus1$stype == dom)
      if (!any(keep)) next # acs.k3 is missing in every high school
      z <- clus1$pw[keep] * clus1[[v]][keep]
      vv <- adjust_var(z, clus1$lstrat[keep], clus1$dnum[keep], nPSU[keep])
      rows[[length(rows) + 1]] <- data.frame(data = "apiclus1", design = "lonely_adjust", stat = "total", var = v,
        by = by, domain = dom, est = g17(sum(z)), se = g17(sqrt(vv)))
    }
  }
  # means are unaffected (their influence values sum to 0): the hand
  # formula equals survey 4.1's svymean
  options(survey.lonely.psu = "adjust")
  m <- svymean(as.formula(paste0("~", v)), dl, na.rm = TRUE)
  keep <- !is.na(clus1[[v]])
  z <- clus1$pw[keep] * (clus1[[v]][keep] - coef(m)) / sum(clus1$pw[keep])
  stopifnot(abs(adjust_var(z, clus1$lstrat[keep], clus1$dnum[keep], nPSU[keep]) - vcov(m)) < 1e-9 * vcov(m))
  rows[[length(rows) + 1]] <- data.frame(data = "apiclus1", design = "lonely_adjust", stat = "mean", var = v,
    by = "", domain = "", est = g17(coef(m)), se = g17(SE(m)))
  options(survey.lonely.psu = "fail")
}
wcsv(do.call(rbind, rows), "lonely_adjust.csv")

# ---- 1b. sipas index: criterion logit intervals under replicate weights ----
# On the small synthetic survey (testdata/index/sipas_small.csv), JKn over
# the province strata: the criterion share is svyciprop(~s_c, subset(design,
# v_c == 1), "logit"), as in index.R, on the replicate design.
if (Sys.getenv("STATS_SKIP_INDEX") == "") {
ix <- read.csv("testdata/index/sipas_small.csv", stringsAsFactors = FALSE, encoding = "UTF-8",
               colClasses = c(ballot_id = "character", psu = "character", province_code = "character"))
crit <- c("access_1", "procedures_3", "officials_2", "outcomes_1", "feedback_4")
for (c in crit) {
  ix[[paste0("s_", c)]] <- as.numeric(!is.na(ix[[c]]) & ix[[c]] %in% 4:5)
  ix[[paste0("v_", c)]] <- as.numeric(!is.na(ix[[c]]) & ix[[c]] %in% 1:5)
}
ixd <- as.svrepdesign(svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = ix, nest = TRUE), type = "JKn")
rows <- list()
for (mse in c(TRUE, FALSE)) {
  ixd$mse <- mse
  for (c in crit) {
    sub <- ixd[ix[[paste0("v_", c)]] == 1, ]
    ci <- svyciprop(as.formula(paste0("~s_", c)), sub, method = "logit", df = degf(ixd))
    rows[[length(rows) + 1]] <- data.frame(design = "jkn", mse = mse, id = c, df = degf(ixd),
      estimate = g17(100 * coef(ci)), ci_low = g17(100 * attr(ci, "ci")[1]), ci_high = g17(100 * attr(ci, "ci")[2]))
  }
}
wcsv(do.call(rbind, rows), "index_logit_jkn.csv")
}

# ---- 5. contrasts with their covariance: svycontrast(svyby(covmat = TRUE)) ----
cdes <- list(
  strat = designs$strat,
  clus1fpc = svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1),
  lonely_remove = svydesign(id = ~dnum, strata = ~lstrat, weights = ~pw, data = clus1),
  jk1 = rd$jk1,
  jkn = rd$jkn
)
cons <- list("E-H" = c(E = 1, H = -1, M = 0), "E-M" = c(E = 1, H = 0, M = -1), "H-M" = c(E = 0, H = 1, M = -1),
             "(E+H)/2-M" = c(E = 0.5, H = 0.5, M = -1))
rows <- list()
addc <- function(dn, stat, v, lab, ct) {
  rows[[length(rows) + 1]] <<- data.frame(design = dn, stat = stat, var = v, contrast = lab,
    est = g17(coef(ct)), se = g17(SE(ct)))
}
for (dn in names(cdes)) {
  d <- cdes[[dn]]
  if (dn == "lonely_remove") options(survey.lonely.psu = "remove")
  if (dn %in% c("jk1", "jkn")) d$mse <- TRUE
  for (v in c("api00", "enroll")) {
    f <- as.formula(paste0("~", v))
    bm <- svyby(f, ~stype, d, svymean, covmat = TRUE)
    bt <- svyby(f, ~stype, d, svytotal, covmat = TRUE)
    for (lab in names(cons)) {
      addc(dn, "mean", v, lab, svycontrast(bm, cons[[lab]]))
      addc(dn, "total", v, lab, svycontrast(bt, cons[[lab]]))
    }
  }
  br <- svyby(~api00, ~stype, d, svyratio, denominator = ~api99, covmat = TRUE)
  for (lab in names(cons)) addc(dn, "ratio", "api00/api99", lab, svycontrast(br, cons[[lab]]))
  # two estimands of the whole population
  addc(dn, "mean", "api00-api99", "all", svycontrast(svymean(~api00 + api99, d), c(1, -1)))
  options(survey.lonely.psu = "fail")
}
wcsv(do.call(rbind, rows), "contrasts.csv")
